import { describe, expect, it } from "vitest";
import { consoleUrl } from "./aws";

const page = (service: string) => `https://console.aws.amazon.com/${service}/` + "home";

describe("AWS console links", () => {
  it("opens a function, a stack and a queue on their service's page in the AWS console", () => {
    expect(consoleUrl("arn:aws:lambda:us-east-1:123456789012:function:pay")).toBe(
      page("lambda") + "?region=us-east-1#/functions/pay");
    expect(consoleUrl("arn:aws:cloudformation:eu-west-1:123456789012:stack/pay/abc")).toBe(
      page("cloudformation") + "?region=eu-west-1#/stacks/stackinfo?stackId="
        + encodeURIComponent("arn:aws:cloudformation:eu-west-1:123456789012:stack/pay/abc"));
    expect(consoleUrl("arn:aws:sqs:us-east-1:123456789012:jobs")).toBe(
      page("sqs/v3") + "?region=us-east-1#/queues/"
        + encodeURIComponent("https://sqs.us-east-1.amazonaws.com/123456789012/jobs"));
  });

  it("opens a private ECR repository under its account", () => {
    expect(consoleUrl("arn:aws:ecr:us-east-1:123456789012:repository/team/pay")).toBe(
      "https://console.aws.amazon.com" + ["", "ecr", "repositories", "private", "123456789012", "team%2Fpay"].join("/")
        + "?region=us-east-1");
  });

  it("builds no link from something that is not an ARN", () => {
    expect(consoleUrl("https://evil.example/lambda")).toBeNull();
  });
});
