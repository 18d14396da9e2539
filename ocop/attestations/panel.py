"""What a listing's page shows of its attestations, and whether the viewer may add one."""

from flask_login import current_user

from ..localtime import local_date, month_end, month_of
from ..models import Listing, utcnow
from . import queries
from .forms import AttestationForm, WithdrawalForm
from .rules import author_refusal, duplicate_refusal, listing_refusal


def panel(listing: Listing, form: AttestationForm | None = None) -> dict:
    """The template context of the attestations block of `listing`'s page."""
    may_author = author_refusal(listing, current_user) is None
    now = utcnow()
    today = local_date(now)
    refusal = listing_refusal(listing)
    if refusal is None and queries.live_this_month(listing.id, month_end(month_of(now))):
        refusal = duplicate_refusal()
    if form is None:
        form = AttestationForm(formdata=None, seen_on=today)
    return {"today": today, "month_first": today.replace(day=1),
            "attestations": queries.of_listing(listing.id), "attest_form": form,
            "withdraw_form": WithdrawalForm(formdata=None),
            "may_attest": may_author, "attest_refusal": refusal}
