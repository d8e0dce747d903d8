export { default as RDSPostgresForceSsl } from './RDSPostgresForceSsl';
