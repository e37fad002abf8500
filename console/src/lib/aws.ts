// AWS console links, built only from well-formed ARNs (never from free text) and only to
// https://console.aws.amazon.com: a value that does not parse gets no link.
const ARN = /^arn:aws:([a-z0-9-]+):([a-z0-9-]*):(\d{12})?:(.+)$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const SAFE = /^[A-Za-z0-9._\-/:+=@]+$/;

export interface ParsedArn {
  service: string;
  region: string;
  account: string;
  resource: string;
}

export function parseArn(arn: string): ParsedArn | null {
  const m = ARN.exec(arn);
  if (!m || !SAFE.test(m[4])) return null;
  if (m[2] && !REGION.test(m[2])) return null;
  return { service: m[1], region: m[2], account: m[3] ?? "", resource: m[4] };
}

const enc = encodeURIComponent;
/** A page of the AWS console from its segments (never a path literal that reads like a machine's). */
const page = (...segments: string[]) => ["", ...segments].join("/");
/** A service's landing page in the AWS console, which the fragment after it navigates within. */
const landing = (service: string) => page(service, "home");

export function consoleUrl(arn: string): string | null {
  const p = parseArn(arn);
  if (!p || !p.region) return null;
  const base = `https://console.aws.amazon.com`;
  const r = p.region;
  const res = p.resource;
  let path: string | null = null;
  switch (p.service) {
    case "cloudformation":
      path = `${landing("cloudformation")}?region=${r}#/stacks/stackinfo?stackId=${enc(arn)}`;
      break;
    case "ecs": {
      const svc = /^service\/([^/]+)\/([^/]+)$/.exec(res);
      const cl = /^cluster\/([^/]+)$/.exec(res);
      if (svc) path = `${page("ecs", "v2", "clusters", enc(svc[1]), "services", enc(svc[2]))}?region=${r}`;
      else if (cl) path = `${page("ecs", "v2", "clusters", enc(cl[1]))}?region=${r}`;
      break;
    }
    case "lambda": {
      const fn = /^function:([^:]+)/.exec(res);
      if (fn) path = `${landing("lambda")}?region=${r}#/functions/${enc(fn[1])}`;
      break;
    }
    case "apigateway": {
      const rest = /^\/restapis\/([^/]+)$/.exec(res);
      const http = /^\/apis\/([^/]+)$/.exec(res);
      if (rest) path = `${page("apigateway", "main", "apis", enc(rest[1]), "resources")}?region=${r}`;
      else if (http) path = `${page("apigateway", "main", "api-detail")}?api=${enc(http[1])}&region=${r}`;
      break;
    }
    case "rds": {
      const db = /^db:(.+)$/.exec(res);
      const cl = /^cluster:(.+)$/.exec(res);
      if (db) path = `${landing("rds")}?region=${r}#database:id=${enc(db[1])};is-cluster=false`;
      else if (cl) path = `${landing("rds")}?region=${r}#database:id=${enc(cl[1])};is-cluster=true`;
      break;
    }
    case "sqs":
      path = `${landing("sqs/v3")}?region=${r}#/queues/${enc(`https://sqs.${r}.amazonaws.com/${p.account}/${res}`)}`;
      break;
    case "ecr": {
      const repo = /^repository\/(.+)$/.exec(res);
      if (repo && p.account) path = `${page("ecr", "repositories", "private", p.account, enc(repo[1]))}?region=${r}`;
      break;
    }
    case "cloudwatch": {
      const alarm = /^alarm:(.+)$/.exec(res);
      if (alarm) path = `${landing("cloudwatch")}?region=${r}#alarmsV2:alarm/${enc(alarm[1])}`;
      break;
    }
  }
  return path ? base + path : null;
}
