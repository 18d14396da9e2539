"""What a listing's page shows of its attestations, and whether the viewer may add one."""

from flask_login import current_user

from ..localtime import local_date
from ..models import Listing, utcnow
from . import queries
from .forms import AttestationForm, WithdrawalForm
from .rules import author_refusal, listing_refusal


def panel(listing: Listing, form: AttestationForm | None = None) -> dict:
    """The template context of the attestations block of `listing`'s page."""
    may_author = author_refusal(listing, current_user) is None
    today = local_date(utcnow())
    if form is None:
        form = AttestationForm(formdata=None, seen_on=today)
    return {"today": today, "month_first": today.replace(day=1),
            "attestations": queries.of_listing(listing.id), "attest_form": form,
            "withdraw_form": WithdrawalForm(formdata=None),
            "may_attest": may_author, "attest_refusal": listing_refusal(listing)}
