package actors

import (
	"crypto/subtle"

	"github.com/streamwidgets/streamwidgets/actors/kinds"
	"github.com/streamwidgets/streamwidgets/cluster/widgetpb"
	"github.com/streamwidgets/streamwidgets/persistence"
)

// access is what a grain call needs from its caller.
type access uint8

const (
	// accessRead: Get and Subscribe. Every role may read (replies to
	// anyone but the owner carry no tokens).
	accessRead access = iota
	// accessAct: Act. Every role passes; each action's spec decides (actionAllowed).
	accessAct
	// accessManage: Update, Delete, RegenerateToken, ControlToken. Owner only.
	accessManage
)

// roleOf says who caller is for rec; ok is false for a stranger, who must
// not learn that the widget exists.
func roleOf(caller *widgetpb.Caller, rec *persistence.Record) (kinds.By, bool) {
	switch {
	case caller.GetUserId() != "":
		if caller.GetUserId() != rec.UserID {
			return kinds.By{}, false
		}
		if s := caller.GetService(); s != "" {
			return kinds.By{Role: kinds.RoleService, Service: s}, true
		}
		return kinds.By{Role: kinds.RoleOwner}, true
	case caller.GetTokenHash() != "":
		return kinds.By{Role: kinds.RoleViewer}, rec.AccessToken != "" &&
			subtle.ConstantTimeCompare([]byte(caller.GetTokenHash()), []byte(persistence.TokenHash(rec.AccessToken))) == 1
	case caller.GetControlTokenHash() != "":
		return kinds.By{Role: kinds.RoleControl}, rec.ControlTokenHash != "" &&
			subtle.ConstantTimeCompare([]byte(caller.GetControlTokenHash()), []byte(rec.ControlTokenHash)) == 1
	default:
		return kinds.By{}, false
	}
}

// allowedTo refuses a role what acc needs beyond it.
func allowedTo(by kinds.By, acc access) error {
	if acc != accessManage || by.Role == kinds.RoleOwner {
		return nil
	}
	switch by.Role {
	case kinds.RoleViewer:
		return &Error{Code: CodeForbidden, Message: "a widget token is read-only"}
	case kinds.RoleControl:
		return &Error{Code: CodeForbidden, Message: "a control token can only run the widget's actions"}
	default:
		return &Error{Code: CodeForbidden, Message: "an integration can only run the widget's actions"}
	}
}

// actionAllowed applies an action's Access to the role sending it: OBS
// views send only acknowledgements, and acknowledgements come only from
// OBS views (the manager's preview never acknowledges).
func actionAllowed(spec kinds.ActionSpec, known bool, by kinds.By) error {
	viewer := by.Role == kinds.RoleViewer
	switch {
	case viewer && (!known || spec.Access != kinds.AccessViewer):
		return &Error{Code: CodeForbidden, Message: "a widget token is read-only; use the manager to control widgets"}
	case !viewer && known && spec.Access == kinds.AccessViewer:
		return &Error{Code: CodeForbidden, Message: "only an OBS view sends " + quote(spec.Name)}
	}
	return nil
}
