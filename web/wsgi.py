"""The WSGI entry point of gunicorn: `gunicorn web.wsgi:app`."""
from gevent import monkey

if monkey.is_module_patched("socket"):
    # Under gevent workers, make psycopg2 cooperative so a slow query does not block sockets.
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()

from web import create_app  # noqa: E402

app = create_app()

if monkey.is_module_patched("socket"):
    # A process that holds thousands of sockets: full garbage collections would pause them all.
    from web.gc_policy import install

    install()
