"""API Gateway REST APIs (v1) and HTTP APIs (v2), with the Lambda functions they integrate.

The list calls carry each API's attributes and tags, so every API is written again. Incrementally, the
integrations of an API an earlier run read are not asked again (nothing listed tells they changed): its
``integrates`` links are marked seen, and a full scan reads them anew."""
from __future__ import annotations

from discovery.facts import APIGW_HTTP_API, APIGW_REST_API, INTEGRATES, LAMBDA_FUNCTION, LinkRecord

from .arns import http_api_arn, lambda_arn_from, rest_api_arn
from .run import Records, ScanRun, iso_time, tags_dict


def _rest_api_functions(run: ScanRun, api_arn: str, api_id: str) -> list[str]:
    functions: dict[str, None] = {}
    for resource in run.pages("apigateway", "get_resources", "items", restApiId=api_id, embed=["methods"],
                              page_size=500):
        for method, detail in (resource.get("resourceMethods") or {}).items():
            if detail and "httpMethod" in detail:  # embed=methods worked: the integration is inline
                uri = (detail.get("methodIntegration") or {}).get("uri")
            else:
                item = f"{api_arn} {method} {resource.get('path', resource['id'])}"
                integration = run.optional(item, lambda: run.call(
                    "apigateway", "get_integration", restApiId=api_id, resourceId=resource["id"], httpMethod=method))
                uri = (integration or {}).get("uri")
            function = lambda_arn_from(uri)
            if function:
                functions[function] = None
    return list(functions)


def _known(run: ScanRun, kind: str, arn: str) -> bool:
    return run.known is not None and arn in run.known.of(kind)


def scan_rest_apis(run: ScanRun) -> Records:
    apis = list(run.pages("apigateway", "get_rest_apis", "items", page_size=500))
    unread = [a for a in apis if not _known(run, APIGW_REST_API, rest_api_arn(run.region, a["id"]))]
    functions_by_api = dict(zip((a["id"] for a in unread), run.parallel(unread, lambda a: run.optional(
        rest_api_arn(run.region, a["id"]), lambda: _rest_api_functions(run, rest_api_arn(run.region, a["id"]),
                                                                       a["id"]), []))))
    for api in apis:
        arn = rest_api_arn(run.region, api["id"])
        if api["id"] not in functions_by_api:
            yield run.seen(arn)
        attributes = {"api_id": api["id"], "description": api.get("description"),
                      "created_at": iso_time(api.get("createdDate")),
                      "endpoint_types": (api.get("endpointConfiguration") or {}).get("types")}
        yield run.fact(APIGW_REST_API, arn, api.get("name", ""), attributes, tags_dict(api.get("tags")),
                       "apigateway:GetRestApis")
        for function in functions_by_api.get(api["id"]) or []:
            yield LinkRecord(APIGW_REST_API, arn, INTEGRATES, LAMBDA_FUNCTION, function,
                             operation="apigateway:GetResources")


def scan_http_apis(run: ScanRun) -> Records:
    apis = list(run.pages("apigatewayv2", "get_apis", "Items"))
    unread = [a for a in apis if not _known(run, APIGW_HTTP_API, http_api_arn(run.region, a["ApiId"]))]
    integrations_by_api = dict(zip((a["ApiId"] for a in unread), run.parallel(unread, lambda a: run.optional(
        http_api_arn(run.region, a["ApiId"]), lambda: list(
            run.pages("apigatewayv2", "get_integrations", "Items", ApiId=a["ApiId"])), []))))
    for api in apis:
        arn = http_api_arn(run.region, api["ApiId"])
        if api["ApiId"] not in integrations_by_api:
            yield run.seen(arn)
        attributes = {"api_id": api["ApiId"], "description": api.get("Description"),
                      "created_at": iso_time(api.get("CreatedDate")), "protocol_type": api.get("ProtocolType"),
                      "endpoint": api.get("ApiEndpoint")}
        yield run.fact(APIGW_HTTP_API, arn, api.get("Name", ""), attributes, tags_dict(api.get("Tags")),
                       "apigatewayv2:GetApis")
        integrations = integrations_by_api.get(api["ApiId"]) or []
        functions = dict.fromkeys(filter(None, (lambda_arn_from(i.get("IntegrationUri")) for i in integrations)))
        for function in functions:
            yield LinkRecord(APIGW_HTTP_API, arn, INTEGRATES, LAMBDA_FUNCTION, function,
                             operation="apigatewayv2:GetIntegrations")
