"""/api/v1/: the API, and a 404 in the API's error shape for any other address under it."""

from django.urls import path, re_path

from clienteling.api.api import api
from clienteling.api.errors import unknown_route

urlpatterns = [
    path("", api.urls),
    re_path(r"^.*$", unknown_route),
]
