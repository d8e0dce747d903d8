export { default as EKSControlPlaneLogging } from './EKSControlPlaneLogging';
export { default as EKSEndpointPublicAccessRestricted } from './EKSEndpointPublicAccessRestricted';
