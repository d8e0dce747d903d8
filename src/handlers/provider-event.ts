/**
 * The request the AWS CDK custom-resource Provider framework passes to an `onEvent` handler: a
 * CloudFormation custom-resource event without the response URL. Only the fields kong-fleet's
 * handlers read are typed; CloudFormation passes every property value as a string. Shared by every
 * handler under src/handlers (this file is not a handler: it has no folder of its own).
 */
export interface ProviderEvent<RequestType extends string = 'Create' | 'Update' | 'Delete'> {
  readonly RequestType: RequestType;
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
  readonly OldResourceProperties?: Readonly<Record<string, unknown>>;
  readonly PhysicalResourceId?: string;
  readonly [other: string]: unknown;
}

/** What a handler returns to the Provider framework; `Data` becomes `Fn::GetAtt` attributes. */
export interface ProviderResponse<Data = Readonly<Record<string, string>>> {
  readonly PhysicalResourceId: string;
  readonly Data?: Data;
}
