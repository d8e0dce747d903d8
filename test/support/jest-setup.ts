// aws-eks-v2's own ServiceAccount/AlbController use its deprecated OpenIdConnectProvider; the
// warning is about aws-cdk-lib internals, not about this project's code.
process.env.JSII_DEPRECATED = 'quiet';
