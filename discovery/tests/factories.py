import factory

from discovery.models import Connection, Provider
from portal.workspaces.models import Workspace


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    workspace = factory.LazyFunction(Workspace.default)
    provider = Provider.AWS
    name = factory.Sequence(lambda n: f"aws-{n}")
    config = factory.LazyFunction(lambda: {
        "account_id": "111111111111", "role_arn": "arn:aws:iam::111111111111:role/RosterDiscovery",
        "regions": ["us-east-1"],
    })


class GithubConnectionFactory(ConnectionFactory):
    provider = Provider.GITHUB
    name = factory.Sequence(lambda n: f"github-{n}")
    config = factory.LazyFunction(lambda: {"org": "acme", "auth": "token"})
