//! Who may do what: the role × action table ([`Role::may`]), and the scope of the roles that
//! are limited to their grids or gates ([`Principal::sees_grid`], [`Principal::stands_at`]).
//! The guard ([`crate::guard`]) applies them to every route before its handler runs; the pages
//! hide what a role cannot do, but only these checks decide.

use serde::Serialize;
use utoipa::ToSchema;

/// A user's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Users, audit, and everything else.
    Admin,
    /// The command centre: imports, areas, cases, screening, traces.
    Analyst,
    /// Cases and traces; no imports.
    Epidemiologist,
    /// Alerts and residents of their own grids only.
    GridWorker,
    /// Checks at their own gates only.
    GateGuard,
    /// Counts, maps and masked alert lists; no person's details, no trace.
    Viewer,
    /// A data source: posts feeds, nothing else.
    Feeder,
    /// A resident signed in by phone: their own pass, report and appeal.
    Resident,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::Analyst,
        Role::Epidemiologist,
        Role::GridWorker,
        Role::GateGuard,
        Role::Viewer,
        Role::Feeder,
        Role::Resident,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
            Role::Epidemiologist => "epidemiologist",
            Role::GridWorker => "grid_worker",
            Role::GateGuard => "gate_guard",
            Role::Viewer => "viewer",
            Role::Feeder => "feeder",
            Role::Resident => "resident",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What a request does, for the role check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Counts, the grid map, areas: nothing about one person.
    ViewOverview,
    /// The alert list and an alert's evidence.
    ReadAlerts,
    /// One person's registry record.
    ReadPerson,
    /// Full ID numbers and phones instead of masked ones.
    Reveal,
    /// A trajectory and contacts.
    Trace,
    ReadCases,
    ManageCases,
    ManageAreas,
    Import,
    /// A check at a gate.
    GateCheck,
    /// The task lists and a task.
    ReadTasks,
    /// Accept a task, record its outcome, take a check-in.
    WorkTasks,
    /// Send a task to another grid; see the unrouted queue.
    RouteTasks,
    ManageUsers,
    ReadAudit,
    /// Send rows through the feeds.
    Feed,
    /// The whole screen, unmasked, as a machine reads it (`GET /api/v1/screen`).
    ReadScreen,
    /// A pass for a resident without a phone (`GET /api/v1/passes/{person_id}`).
    IssuePass,
    /// A resident's own pass, report and appeal.
    SelfService,
}

impl Role {
    /// Whether the role may do `a` at all (scope aside).
    pub fn may(self, a: Action) -> bool {
        use Action::*;
        match self {
            Role::Admin => !matches!(a, SelfService),
            Role::Analyst => !matches!(a, ManageUsers | ReadAudit | GateCheck | SelfService),
            Role::Epidemiologist => !matches!(
                a,
                ManageUsers
                    | ReadAudit
                    | GateCheck
                    | Import
                    | WorkTasks
                    | RouteTasks
                    | Feed
                    | IssuePass
                    | SelfService
            ),
            Role::GridWorker => matches!(
                a,
                ViewOverview | ReadAlerts | ReadPerson | Reveal | ReadTasks | WorkTasks | IssuePass
            ),
            Role::GateGuard => matches!(a, GateCheck),
            Role::Viewer => matches!(a, ViewOverview | ReadAlerts),
            Role::Feeder => matches!(a, Feed),
            Role::Resident => matches!(a, SelfService),
        }
    }
}

/// The user a request acts for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    /// Grid codes a grid worker is responsible for.
    pub grids: Vec<String>,
    /// Gate place_ids a gate guard stands at.
    pub gates: Vec<String>,
    /// The person a resident is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub person: Option<String>,
}

impl Principal {
    /// Whether the user's scope covers everyone (not a grid worker, not a resident).
    pub fn sees_everyone(&self) -> bool {
        !matches!(self.role, Role::GridWorker | Role::Resident)
    }

    /// Whether a person of `grid` is inside the user's scope.
    pub fn sees_grid(&self, grid: Option<&str>) -> bool {
        self.sees_everyone() || grid.is_some_and(|g| self.grids.iter().any(|m| m == g))
    }

    /// Whether the user may check people at this gate.
    pub fn stands_at(&self, place_id: &str) -> bool {
        self.role == Role::Admin || self.gates.iter().any(|g| g == place_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, grids: &[&str]) -> Principal {
        Principal {
            user_id: 1,
            username: "u".into(),
            role,
            grids: grids.iter().map(|g| g.to_string()).collect(),
            gates: vec!["GATE1".into()],
            person: None,
        }
    }

    #[test]
    fn roles_parse_back_from_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn only_admins_manage_users_and_read_the_audit() {
        for r in Role::ALL {
            let p = user(r, &[]);
            assert_eq!(p.role.may(Action::ManageUsers), r == Role::Admin);
            assert_eq!(p.role.may(Action::ReadAudit), r == Role::Admin);
        }
    }

    #[test]
    fn viewers_and_guards_never_read_a_person_or_trace() {
        for r in [Role::Viewer, Role::GateGuard, Role::Feeder] {
            let p = user(r, &[]);
            for a in [
                Action::ReadPerson,
                Action::Reveal,
                Action::Trace,
                Action::Import,
            ] {
                assert!(!p.role.may(a), "{r:?} {a:?}");
            }
        }
    }

    #[test]
    fn a_grid_worker_sees_only_their_grids() {
        let p = user(Role::GridWorker, &["G1", "G2"]);
        assert!(p.sees_grid(Some("G2")));
        assert!(!p.sees_grid(Some("G3")));
        assert!(
            !p.sees_grid(None),
            "a person of no grid is no grid worker's"
        );
        assert!(!p.role.may(Action::Trace));
        assert!(user(Role::Analyst, &[]).sees_grid(None));
    }

    #[test]
    fn a_feeder_feeds_and_does_nothing_else() {
        for a in [
            Action::ViewOverview,
            Action::ReadAlerts,
            Action::Import,
            Action::ReadTasks,
        ] {
            assert!(!Role::Feeder.may(a), "{a:?}");
        }
        for r in [Role::Feeder, Role::Analyst, Role::Admin] {
            assert!(r.may(Action::Feed), "{r:?}");
        }
        for r in [
            Role::Epidemiologist,
            Role::GridWorker,
            Role::GateGuard,
            Role::Viewer,
        ] {
            assert!(!r.may(Action::Feed), "{r:?}");
        }
    }

    #[test]
    fn a_guard_checks_only_at_their_gates() {
        let p = user(Role::GateGuard, &[]);
        assert!(p.stands_at("GATE1") && !p.stands_at("GATE2"));
        assert!(p.role.may(Action::GateCheck));
    }
}
