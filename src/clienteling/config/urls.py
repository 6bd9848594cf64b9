from django.contrib import admin
from django.urls import include, path

from clienteling.config.health import health

handler500 = "clienteling.config.middleware.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("clienteling.api.urls")),
    path("healthz", health, name="health"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("clienteling.storeapp.urls")),
]
