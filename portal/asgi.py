"""The ASGI application the web server runs (portal.serve): sync views run in threads as under WSGI, and a
streamed answer with an async body (a run's live progress) waits on the event loop instead of a thread."""
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_asgi_application()
