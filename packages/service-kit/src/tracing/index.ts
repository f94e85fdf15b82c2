export * from './context';
export * from './provider';
export * from './settings';
export * from './spans';
