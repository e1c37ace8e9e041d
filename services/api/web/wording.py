"""What the pages say: success notices by fixed key, and API errors in words a person reads.

Pages never put text from the URL on screen: `?notice=<key>` shows the sentence kept here for
that key, and an unknown key shows nothing (a link cannot make the dashboard say anything
else). Errors are shown on the page that answers the form, not through the URL.
"""

from __future__ import annotations

from dataclasses import dataclass

from overpush.errors import ApiError


@dataclass(frozen=True)
class Say:
    """A sentence for the page, with an optional link to the next step."""

    text: str
    href: str = ""
    link: str = ""


NOTICES: dict[str, Say] = {
    "test_sent": Say("Test notification sent. It shows on your devices in a moment."),
    "settings_saved": Say("Settings saved."),
    "device_renamed": Say("Device renamed."),
    "device_enabled": Say("Device enabled: it receives notifications again."),
    "device_disabled": Say("Device disabled: it receives nothing until you enable it."),
    "device_deleted": Say("Device deleted."),
    "token_regenerated": Say("New token made. The old one stopped working; update your "
                             "scripts."),
    "twofa_off": Say("Two-factor authentication is off."),
    "group_saved": Say("Group saved."),
    "address_saved": Say("Address saved."),
    "address_deleted": Say("Address deleted."),
    # Team invitations.
    "team_joined": Say("You joined the team."),
    "team_declined": Say("Invitation declined. The team sees nothing about you."),
    "status_secret_rotated": Say("New signing secret made. Status callbacks carry a "
                                 "signature with the old one too for 24 hours."),
    "password_changed": Say("Password changed. Your other browsers and your devices log in "
                            "again with the new one."),
}

ADD_DEVICE = ("/#add-device", "How to add a device")

# Errors the pages can meet, by catalog code: what happened and what to do next.
ERRORS: dict[str, Say] = {
    "user_no_devices": Say("You have no active device yet, so the test had nowhere to go. "
                           "Add a device first (this browser, your phone or a Linux desktop), "
                           "or enable one that is disabled.", *ADD_DEVICE),
    "message_blank": Say("Write a message to send."),
    "message_too_long": Say("The message is too long: keep it under 1024 characters."),
    "device_invalid": Say("Device names have 1 to 25 letters, digits, _ or -, without "
                          "spaces."),
    "sound_invalid": Say("Pick one of the sounds in the list."),
    "priority_invalid": Say("Pick one of the priorities in the list."),
    "quota_exceeded": Say("This application has used all its messages for this month. It "
                          "can send again from the 1st; pick another application meanwhile."),
    "token_invalid": Say("That application no longer exists. Reload the page and pick "
                         "another one."),
    "quiet_hours_invalid": Say("Quiet hours need both a start and an end time as HH:MM "
                               "(24-hour, for example 22:00 and 07:00), or leave both empty."),
    "timezone_invalid": Say("Pick a time zone from the list."),
    "default_sound_invalid": Say("Pick a default sound from the list."),
    "group_name_invalid": Say("Give the group a name of 1 to 100 characters."),
    "group_not_found": Say("That group is not on your account any more. Reload the page."),
    "member_exists": Say("That user (and device) is already in this group."),
    "member_missing": Say("That user is not in this group any more. Reload the page."),
    "memo_too_long": Say("Keep the memo under 200 characters."),
    "user_invalid": Say("That is not a user key Overpush knows. User keys have 30 letters "
                        "and digits; the person finds theirs on their dashboard."),
    "user_missing": Say("Enter the user key of the person to add."),
    "alias_name_invalid": Say("Addresses use 3 to 64 of a-z, 0-9, '.', '_' and '-', starting "
                              "with a letter or digit. Leave the name empty for a random one."),
    "alias_taken": Say("That address is taken. Try another name."),
    "alias_not_found": Say("That address is not on your account any more. Reload the page."),
    "alias_default": Say("Your first address cannot be deleted; the others can."),
    "too_many_aliases": Say("You have 100 addresses, the most an account may have. Delete "
                            "one to add another."),
    # Team invitations.
    "team_member_elsewhere": Say("You already belong to another team. Ask its administrator "
                                 "to remove you, then accept this invitation again."),
    "team_invitation_missing": Say("This invitation was answered already, withdrawn or has "
                                   "expired."),
}


def notice(key: str) -> Say | None:
    return NOTICES.get(key)


def explain(exc: ApiError) -> Say:
    """Every error of an API operation, for a person: our sentence for each, or the
    catalog's; the first next-step link among them."""
    if not exc.errors:
        return Say("Something in the form is not right. Check it and try again.")
    says = [ERRORS.get(e.spec.code) or _sentence(e.message) for e in exc.errors]
    texts = list(dict.fromkeys(s.text for s in says))
    linked = next((s for s in says if s.href), Say(""))
    return Say(" ".join(texts), linked.href, linked.link)


def _sentence(text: str) -> Say:
    return Say(text[:1].upper() + text[1:] + ("" if text.endswith(".") else "."))
