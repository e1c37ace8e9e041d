"""Errors of what people share: delivery groups, volume licences, teams and their
invitations, subscriptions."""

from __future__ import annotations

from overpush.errors.spec import spec as _e


class TeamErrors:
    """Errors of groups, licences, teams and subscriptions, by stable code."""

    GROUP_NOT_FOUND = _e(
        "group_not_found", 400, "group", "not found",
        "group not found or you are not authorized to edit it",
    )
    GROUP_NAME_INVALID = _e(
        "group_name_invalid", 400, "name", "invalid", "name must have 1 to 100 characters"
    )
    MEMBER_EXISTS = _e(
        "member_exists", 400, "user", "invalid", "user is already a member of this group"
    )
    MEMBER_MISSING = _e(
        "member_missing", 400, "user", "invalid", "user is not a member of this group"
    )
    MEMO_TOO_LONG = _e("memo_too_long", 400, "memo", "invalid", "memo is too long")
    VALIDATE_USER_INVALID = _e("validate_user_invalid", 400, "user", "invalid",
                               "user key is invalid")
    VALIDATE_DEVICE_INVALID = _e("validate_device_invalid", 400, "device",
                                 "invalid for this user", "device name is not valid for user")
    LICENSE_RECIPIENT_MISSING = _e(
        "license_recipient_missing", 400, "user", "invalid", "user or email is required"
    )
    LICENSE_EMAIL_INVALID = _e(
        "license_email_invalid", 400, "email", "invalid", "email is not a valid address"
    )
    LICENSE_OS_INVALID = _e(
        "license_os_invalid", 400, "os", "invalid", "os must be Android, iOS or Desktop"
    )
    LICENSE_NO_CREDITS = _e(
        "license_no_credits", 400, "token", "is out of available license credits",
        "application is out of available license credits",
    )
    TEAM_TOKEN_INVALID = _e("team_token_invalid", 400, "token", "invalid",
                            "team token is invalid")
    TEAM_EMAIL_INVALID = _e("team_email_invalid", 400, "email", "invalid",
                            "email is not a valid address")
    TEAM_MEMBER_ELSEWHERE = _e("team_member_elsewhere", 400, "email", "invalid",
                               "user is already a member of a team")
    TEAM_MEMBER_MISSING = _e("team_member_missing", 400, "email", "invalid",
                             "user is not a member of this team")
    SUBSCRIPTION_INVALID = _e("subscription_invalid", 400, "subscription", "invalid",
                              "subscription code is invalid")
    # Teams: invitations, add_user's fields, and team-owned delivery groups.
    TEAM_NAME_INVALID = _e("team_name_invalid", 400, "name", "invalid",
                           "name must have at most 100 characters")
    TEAM_PASSWORD_INVALID = _e("team_password_invalid", 400, "password", "invalid",
                               "password must have at least 8 characters, or be left blank")
    TEAM_INVITATIONS_FULL = _e("team_invitations_full", 400, "email", "invalid",
                               "too many pending invitations; at most 1000 per team")
    TEAM_INVITATION_MISSING = _e("team_invitation_missing", 400, "email", "invalid",
                                 "no pending invitation for this email")
    TEAM_GROUP_NO_DEVICE = _e("team_group_no_device", 400, "device", "invalid",
                              "no member of this team group has a device of that name")
