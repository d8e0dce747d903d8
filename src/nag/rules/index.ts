export * from './eks';
export * from './kong';
export * from './rds';
