"""Run moto's server for Roster's tests, demo and benchmarks.

``start_moto()`` runs moto's server in a thread of this process, one request at a time (see there);
``python -m peers.moto_server --port N`` runs it in the foreground until SIGTERM/SIGINT and prints
"moto server listening on URL" once it accepts requests (``--port 0`` picks a free port).

Accounts on moto server: moto picks the account of each request from its access key. Keys returned
by ``sts:AssumeRole`` for ``arn:aws:iam::<acct>:role/<any>`` belong to ``<acct>``; any other key
(e.g. ``testing``) is account 123456789012. Moto does not check that the role exists, its trust
policy or the ExternalId.

moto 5.2.5's CloudFormation cannot create two things Roster's scenarios need, and no client call can
make up for them: ``AWS::ApiGatewayV2::Api`` is unsupported (the stack lists a blank row instead),
and ``AWS::ApiGateway::RestApi`` drops its ``Tags`` while the REST API has no working tag API
afterwards. ``install_cloudformation_extensions()`` registers two small CloudFormation models for
them in this server process (moto discovers models as ``CloudFormationModel`` subclasses); both
create the resource through moto's own service backend, exactly as moto's built-in models do.
"""
from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable
from functools import cache
from typing import Any

import requests

if __name__ == "__main__":
    # moto names a model's service after the second part of its module path, which "__main__" lacks:
    # run the same code from its importable module instead.
    from peers.moto_server import main

    main()
    raise SystemExit(0)


def _tag_map(tags: Any) -> dict[str, str]:
    """CloudFormation writes tags as a list of Key/Value (REST API) or as a map (HTTP API)."""
    if isinstance(tags, dict):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t["Key"]): str(t["Value"]) for t in tags or []}


@cache
def extension_models() -> tuple[type, type]:
    """The two CloudFormation models, defined on first use: importing moto takes seconds, and only
    the server process needs them (``reset`` and the CLI's argument parsing do not)."""
    from moto.apigateway.models import RestAPI, apigateway_backends
    from moto.apigatewayv2.models import apigatewayv2_backends
    from moto.core.common_models import CloudFormationModel

    class HttpApiStackResource(CloudFormationModel):
        """``AWS::ApiGatewayV2::Api`` created from a template; the API itself lives in apigatewayv2's backend."""

        def __init__(self, api: Any, account_id: str, region_name: str):
            self.api = api
            self.account_id = account_id
            self.region_name = region_name

        @property
        def physical_resource_id(self) -> str:
            return self.api.api_id

        @staticmethod
        def cloudformation_name_type() -> str:
            return "Name"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::ApiGatewayV2::Api"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return attr in ("ApiId", "ApiEndpoint")

        def get_cfn_attribute(self, attribute_name: str) -> Any:
            return {"ApiId": self.api.api_id, "ApiEndpoint": self.api.api_endpoint}[attribute_name]

        @classmethod
        def create_from_cloudformation_json(  # type: ignore[misc, override]
            cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
            **kwargs: Any,
        ) -> HttpApiStackResource:
            props = cloudformation_json["Properties"]
            api = apigatewayv2_backends[account_id][region_name].create_api(
                api_key_selection_expression=props.get("ApiKeySelectionExpression"),
                cors_configuration=props.get("CorsConfiguration"),
                description=props.get("Description", ""),
                disable_schema_validation=props.get("DisableSchemaValidation"),
                disable_execute_api_endpoint=props.get("DisableExecuteApiEndpoint"),
                name=props.get("Name", resource_name),
                protocol_type=props.get("ProtocolType", "HTTP"),
                route_selection_expression=props.get("RouteSelectionExpression"),
                tags=_tag_map(props.get("Tags")),
                version=props.get("Version"),
            )
            return cls(api, account_id, region_name)

        def delete(self, account_id: str, region_name: str) -> None:
            apigatewayv2_backends[account_id][region_name].delete_api(self.api.api_id)

        def is_created(self) -> bool:
            return True

    class TaggedRestApiStackResource(CloudFormationModel):
        """``AWS::ApiGateway::RestApi`` like moto's own model, but keeping the template's ``Tags``."""

        @staticmethod
        def cloudformation_name_type() -> str:
            return "Name"

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::ApiGateway::RestApi"

        @classmethod
        def has_cfn_attr(cls, attr: str) -> bool:
            return RestAPI.has_cfn_attr(attr)

        @classmethod
        def create_from_cloudformation_json(  # type: ignore[misc, override]
            cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str,
            **kwargs: Any,
        ) -> RestAPI:
            props = cloudformation_json["Properties"]
            return apigateway_backends[account_id][region_name].create_rest_api(
                name=props.get("Name", resource_name),
                description=props.get("Description", ""),
                endpoint_configuration=props.get("EndpointConfiguration"),
                tags=_tag_map(props.get("Tags")) or None,
            )

        @classmethod
        def delete_from_cloudformation_json(  # type: ignore[misc, override]
            cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
        ) -> None:
            apigateway_backends[account_id][region_name].delete_rest_api(resource_name)

        def is_created(self) -> bool:
            return True

    return HttpApiStackResource, TaggedRestApiStackResource


def install_cloudformation_extensions() -> None:
    """Make this process's moto CloudFormation use ``extension_models()`` (later subclasses win the type map)."""
    from moto.cloudformation import parsing as cfn_parsing

    http_api, rest_api = extension_models()
    for cached in (cfn_parsing.get_model_list, cfn_parsing.get_model_map, cfn_parsing.get_name_type_map):
        cached.cache_clear()
    model_map = cfn_parsing.get_model_map()
    assert model_map["AWS::ApiGatewayV2::Api"] is http_api
    assert model_map["AWS::ApiGateway::RestApi"] is rest_api


def start_moto(port: int = 0, host: str = "127.0.0.1", quiet: bool = True) -> tuple[str, Callable[[], None]]:
    """Start moto's server on ``host:port`` (0 = a free port) in a thread; returns ``(endpoint_url, stop)``.

    Unlike moto's ``ThreadedMotoServer`` it handles one request at a time: moto's backends are not
    thread-safe (e.g. ECS TagResource iterates the services another request is adding to, and fails
    with "dictionary changed size during iteration"), and one Python process gains no throughput from
    threads anyway. Clients may still send concurrently; requests wait in the listen queue. So no
    long-polling calls (SQS ReceiveMessage with WaitTimeSeconds): they would hold up everyone else.
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    install_cloudformation_extensions()
    if quiet:  # one werkzeug log line per request costs time and buries real output
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server(host, port, DomainDispatcherApplication(create_backend_app), threaded=False,
                         request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="moto-server",
                              daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join()

    bound_host, bound_port = server.server_address[:2]
    return f"http://{bound_host}:{bound_port}", stop


def reset(endpoint_url: str) -> None:
    """Forget every resource in every account (moto's POST /moto-api/reset)."""
    requests.post(f"{endpoint_url.rstrip('/')}/moto-api/reset", timeout=30).raise_for_status()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run moto's server (with Roster's CloudFormation extensions).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    endpoint, stop = start_moto(args.port, args.host, quiet=not args.verbose)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    print(f"moto server listening on {endpoint}", flush=True)
    done.wait()
    stop()

