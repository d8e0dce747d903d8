export { default as KongAdminNotInternetReachable } from './KongAdminNotInternetReachable';
export { default as KongClusterBehindTcpNlb } from './KongClusterBehindTcpNlb';
export { default as KongControlPlaneDatabaseTls } from './KongControlPlaneDatabaseTls';
export { default as KongDataPlaneHighlyAvailable } from './KongDataPlaneHighlyAvailable';
export { default as KongSecretsNotInPlainText } from './KongSecretsNotInPlainText';
