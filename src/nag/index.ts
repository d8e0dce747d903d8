export * from './acknowledge';
export * from './kong-fleet-checks';
export * as rules from './rules';
