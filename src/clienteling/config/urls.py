from django.contrib import admin
from django.urls import include, path

from clienteling.config.health import health
from clienteling.storeapp.views import set_language

handler500 = "clienteling.config.middleware.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("clienteling.api.urls")),
    path("healthz", health, name="health"),
    # The language switch (R-UX-2): remembered for the worker, not only in the browser.
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("clienteling.storeapp.urls")),
]
