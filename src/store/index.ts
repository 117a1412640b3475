export type { KeyValue } from './types';
export { GatewayStore } from './keyv-store';
export type { GatewayStoreOptions, Registration, RegistrationStore } from './keyv-store';
export { deriveKey, decryptString, encryptString, isEncrypted } from './crypto';
