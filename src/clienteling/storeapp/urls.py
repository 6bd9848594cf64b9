from django.contrib.auth import views as auth_views
from django.urls import path

from clienteling.storeapp import views

app_name = "storeapp"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="storeapp/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="storeapp:login"), name="logout"),
    path("book/", views.book, name="book"),
    path("book/export/", views.book_export, name="book_export"),
    path("store-books/", views.store_books, name="store_books"),
    path("store-books/export/", views.store_books_export, name="store_books_export"),
    path("customers/", views.search, name="search"),
    path("customers/<str:account>/", views.customer, name="customer"),
    path("customers/<str:account>/timeline/", views.customer_timeline, name="customer_timeline"),
    path("customers/<str:account>/purchases/", views.customer_purchases, name="customer_purchases"),
    path("reassign/", views.reassign, name="reassign"),
    path("switch/", views.switch, name="switch"),
]

# Acting on the book (SPEC §18): storeapp/actions.py.
from clienteling.storeapp import actions  # noqa: E402

urlpatterns += [
    path("today/", actions.today, name="today"),
    path("follow-ups/new/", actions.follow_up_new, name="follow_up_new"),
    path("follow-ups/<int:follow_up_id>/done/", actions.follow_up_done, name="follow_up_done"),
    path("appointments/new/", actions.appointment_new, name="appointment_new"),
    path("appointments/<int:appointment_id>/ics/", actions.appointment_ics, name="appointment_ics"),
    path(
        "appointments/<int:appointment_id>/cancel/",
        actions.appointment_cancel,
        name="appointment_cancel",
    ),
    path("outreach/new/", actions.outreach_new, name="outreach_new"),
    path("unsubscribe/<str:token>/", actions.unsubscribe, name="unsubscribe"),
]
