import { describe, expect, it } from "vitest";
import { deployLink, describeDeploy, type LastDeploy } from "./deploys";

const github: LastDeploy = { at: "2026-10-22T14:00:00Z", by: "samdiaz", sha: "0123456789abcdef", ref: "main", image_tag: null,
  environment: "production", source: "github_deployment", url: "https://ci.acme.test/212", revision: null, resource: null };
const ecs: LastDeploy = { ...github, by: null, sha: null, ref: null, environment: null, url: null, source: "ecs",
  image_tag: "1.4.2", revision: "pay:3", resource: "arn:aws:ecs:us-east-1:123456789012:service/prod/pay" };

describe("last deploy in words", () => {
  it("names the commit, where and who for GitHub, the image for ECS, and nothing as none", () => {
    expect(describeDeploy(github)).toBe("0123456 to production by samdiaz");
    expect(describeDeploy(ecs)).toBe("image 1.4.2");
    expect(describeDeploy({ ...ecs, image_tag: null })).toBe("task definition pay:3");
    expect(describeDeploy({ ...ecs, image_tag: null, revision: null, source: "lambda" })).toBe("Lambda function update");
    expect(describeDeploy(null)).toBe("none");
  });

  it("links only to https pages", () => {
    expect(deployLink(github)).toBe("https://ci.acme.test/212");
    expect(deployLink({ ...github, url: "javascript:alert(1)" })).toBeNull();
    expect(deployLink({ ...github, url: "http://127.0.0.1:8080/acme/pay/actions/runs/1" })).toBeNull();
  });
});
