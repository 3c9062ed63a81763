import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopops.settings")
application = get_wsgi_application()


def _freeze_start_up_objects() -> None:
    """Take everything built at start-up out of the garbage collector's sight (gc.freeze).

    Modules, settings, URL patterns, schemas and jieba's dictionary (about 200,000 tracked objects)
    live as long as the process, yet every full collection walks them all, stalling every thread of
    the worker for 20-110 ms in the middle of requests: a latency tail of our own. Freezing them
    once, after start-up, leaves the collector only what requests create. The Python docs give this
    pattern for servers (and before fork it also keeps pages shared with the master).
    """
    if os.environ.get("SHOPOPS_WARM_JIEBA", "1") != "0":
        from shopops.catalog.text import warm_up

        warm_up()  # load the dictionary now (CatalogConfig.ready started it) so it is frozen too
    gc.collect()
    gc.freeze()


_freeze_start_up_objects()
