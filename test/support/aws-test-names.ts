// The AWS names the evidence tests share: one account, region and load balancer, as ARNs and the CloudWatch
// dimension, so the S3 keys, fake ELBv2 answers and expected output agree across test files.

export const account = '123456789012';
export const region = 'eu-west-1';
export const lbDimension = 'app/edge/50dc6c495c0c9188';
export const elbArn = `arn:aws:elasticloadbalancing:${region}:${account}`;
export const loadBalancerArn = `${elbArn}:loadbalancer/${lbDimension}`;
export const listenerArn = `${elbArn}:listener/${lbDimension}/f2f7dc8efc522ab2`;
export const trustStoreArn = `${elbArn}:truststore/partners/73e2d6bc24d8a067`;
export const wafLogGroup = 'aws-waf-logs-edge';
