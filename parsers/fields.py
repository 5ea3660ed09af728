"""The canonical lead fields and the names clients use for them.

One source of truth for the lead vocabulary: parser mappings map FROM these names, posting-doc
analysis and lead import map client names TO them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class LeadField:
    """One canonical lead field: its name, a plain label, its kind and the names clients use for it."""

    name: str
    label: str
    kind: str  # text, phone, email, state, zip, date, datetime, yesno, url
    synonyms: tuple[str, ...] = ()


CANONICAL_FIELDS: tuple[LeadField, ...] = (
    LeadField("first_name", "First name", "text",
              ("first", "fname", "firstname", "first name", "given name", "givenname", "from first",
               "name first", "first_nm", "contact first name", "client first name")),
    LeadField("last_name", "Last name", "text",
              ("last", "lname", "lastname", "last name", "surname", "family name", "from last",
               "name last", "last_nm", "contact last name", "client last name")),
    LeadField("full_name", "Full name", "text",
              ("name", "fullname", "full name", "contact name", "client name", "your name", "lead name")),
    LeadField("email", "E-mail", "email",
              ("email", "e-mail", "email address", "emailaddress", "email1", "mail", "from email",
               "contact email", "e mail")),
    LeadField("phone", "Phone", "phone",
              ("phone", "phone number", "phonenumber", "primary", "primary phone", "cellphone", "cell phone",
               "cell", "mobile", "mobile phone", "telephone", "tel", "home phone", "phone1", "from phone",
               "day phone", "contact phone", "best phone")),
    LeadField("phone_alt", "Second phone", "phone",
              ("secondary", "phone2", "alt phone", "alternate phone", "secondary phone", "work phone",
               "other phone", "evening phone", "phone alt")),
    LeadField("address", "Address", "text",
              ("address", "address1", "street", "street address", "address line 1", "addr", "mailing address")),
    LeadField("city", "City", "text", ("city", "town")),
    LeadField("state", "State", "state", ("state", "st", "state code", "province", "region", "state province")),
    LeadField("zip", "ZIP", "zip", ("zip", "zipcode", "zip code", "postal code", "postalcode", "postcode", "zip5")),
    LeadField("county", "County", "text", ("county",)),
    LeadField("date_of_birth", "Date of birth", "date", ("dob", "date of birth", "birth date", "birthdate", "birthday")),
    LeadField("case_type", "Case type", "text",
              ("case type", "casetype", "type", "case", "practice area", "injury type", "claim type",
               "case category", "matter type", "accident type", "tort", "campaign type", "lead type")),
    LeadField("description", "Description", "text",
              ("description", "details", "comments", "comment", "notes", "note", "summary", "message",
               "case description", "case details", "from message", "what happened", "incident description",
               "additional info", "narrative", "desc", "descr")),
    LeadField("incident_date", "Incident date", "date",
              ("incident date", "accident date", "date of incident", "date of accident", "injury date",
               "date of injury", "loss date", "doi", "incidentdate", "accidentdate")),
    LeadField("injured", "Injured", "yesno", ("injured", "were you injured", "injury", "is injured", "hurt")),
    LeadField("has_attorney", "Has attorney", "yesno",
              ("has attorney", "attorney", "represented", "has lawyer", "already represented",
               "currently represented", "have attorney", "hasattorney")),
    LeadField("at_fault", "At fault", "yesno", ("at fault", "atfault", "fault", "were you at fault")),
    LeadField("ip_address", "IP address", "text", ("ip", "ip address", "ipaddress", "client ip", "user ip")),
    LeadField("user_agent", "User agent", "text", ("user agent", "useragent", "browser", "ua")),
    LeadField("trustedform_cert_url", "TrustedForm certificate", "url",
              ("trustedform", "trusted form", "trustedform cert url", "trustedform url", "xxtrustedformcerturl",
               "trustedform certificate", "cert url", "tf cert")),
    LeadField("jornaya_leadid", "Jornaya LeadiD", "text",
              ("jornaya", "leadid token", "jornaya lead id", "universal leadid", "jornaya token",
               "leadid_token", "lead id token")),
    LeadField("tcpa_consent", "TCPA consent", "yesno",
              ("tcpa", "tcpa consent", "consent", "opt in", "optin", "tcpa optin", "tcpa opt in")),
    LeadField("tcpa_text", "TCPA wording", "text", ("tcpa text", "consent text", "tcpa language", "disclosure")),
    LeadField("landing_page_url", "Landing page URL", "url",
              ("landing page", "landing page url", "page url", "referring url", "referrer url", "referrerurl",
               "url", "source url", "web page", "lp url", "website")),
    LeadField("source", "Source", "text",
              ("source", "lead source", "utm source", "utm_source", "traffic source", "websource", "from source",
               "leadprovider", "lead provider", "vendor")),
    LeadField("sub_id", "Sub id", "text", ("sub id", "subid", "sub_id", "sub1", "affiliate sub id", "s1")),
    LeadField("lead_id", "Lead id", "text",
              ("lead id", "leadid", "external id", "id", "reference", "ref", "lead number", "record id")),
    LeadField("created_at", "Captured at", "datetime",
              ("created at", "date submitted", "submitted", "submitted at", "timestamp", "created",
               "date created", "lead date", "capture date", "received", "date time", "datetime", "date")),
)

# What an e-mail address looks like, for lead import, client contacts and the outbox alike.
EMAIL_RE = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")

FIELDS_BY_NAME: dict[str, LeadField] = {f.name: f for f in CANONICAL_FIELDS}
FIELD_NAMES: tuple[str, ...] = tuple(FIELDS_BY_NAME)


def squash(name: str) -> str:
    """Reduce a column or field name to lowercase letters and digits, for comparison."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _build_synonym_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for field in CANONICAL_FIELDS:
        for candidate in (field.name, field.label, *field.synonyms):
            # The first field to claim a squashed name keeps it ("leadid" is Jornaya's token before our id).
            index.setdefault(squash(candidate), field.name)
    return index


SYNONYMS: dict[str, str] = _build_synonym_index()


def canonical_name(name: str) -> str | None:
    """The canonical field a client's field or column name stands for, or None when unknown.

    Dotted paths are judged by their last part, so ``inbox_lead.from_first`` is ``first_name``.
    """
    if not name:
        return None
    last = name.rsplit(".", 1)[-1]
    for candidate in (last, re.sub(r"^(from|lead|contact|client|customer|user|applicant|caller)[_\s-]?", "", last, flags=re.I)):
        hit = SYNONYMS.get(squash(candidate))
        if hit:
            return hit
    return None
