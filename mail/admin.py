from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import OutboundEmail
from .outbox import request_delivery


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """What the shop sent, or is still trying to send; nothing here is edited by hand."""

    list_display = ("created_at", "kind", "recipients", "subject", "status", "attempts", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("subject", "dedupe_key")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]
    actions = ("send_again",)

    @admin.display(description="To")
    def recipients(self, email: OutboundEmail) -> str:
        return ", ".join(email.to)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Send the selected failed e-mails again", permissions=["view"])
    def send_again(self, request: HttpRequest, queryset: QuerySet[OutboundEmail]) -> None:
        ids = list(queryset.filter(status=OutboundEmail.Status.FAILED).values_list("pk", flat=True))
        OutboundEmail.objects.filter(pk__in=ids).update(status=OutboundEmail.Status.PENDING, attempts=0)
        for email_id in ids:
            request_delivery(email_id)
        self.message_user(request, f"{len(ids)} e-mail(s) queued again.", messages.SUCCESS)
