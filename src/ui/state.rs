//! The one app state, its actions and reducer.

use std::rc::Rc;

use yew::Reducible;

use crate::core::funnel::{default_steps, FunnelResult};
use crate::core::ingest::LoadError;
use crate::core::summary::Summary;
use crate::core::view::ViewState;

/// A load in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Loading {
    pub name: String,
    pub bytes: u64,
    pub total: Option<u64>,
    pub rows: u64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppState {
    /// What the URL fragment holds.
    pub view: ViewState,
    /// Problems with the URL the page was opened with.
    pub url_warnings: Vec<String>,
    /// The loaded data's name and summary; kept when a later load fails.
    pub data_name: Option<String>,
    pub summary: Option<Rc<Summary>>,
    /// Bumped on every successful load, so queries re-run.
    pub generation: u32,
    pub loading: Option<Loading>,
    pub load_error: Option<LoadError>,
    /// The id of the newest funnel request and its result.
    pub funnel_request: u32,
    pub funnel: Option<Rc<FunnelResult>>,
    pub funnel_error: Option<String>,
}

pub enum Action {
    /// The user changed the view (steps, window, mapping ...).
    SetView(ViewState),
    /// The page was opened with, or navigated to, a fragment.
    FromUrl(ViewState, Vec<String>),
    LoadStarted(String),
    Progress(Loading),
    Loaded {
        name: String,
        summary: Summary,
    },
    LoadFailed(LoadError),
    DismissError,
    FunnelRequested(u32),
    FunnelDone {
        id: u32,
        result: Result<FunnelResult, String>,
    },
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::SetView(v) => s.view = v,
            Action::FromUrl(v, warnings) => {
                s.view = v;
                s.url_warnings = warnings;
            }
            Action::LoadStarted(name) => {
                s.loading = Some(Loading { name, bytes: 0, total: None, rows: 0 });
                s.load_error = None;
            }
            Action::Progress(p) => s.loading = Some(p),
            Action::Loaded { name, summary } => {
                if s.view.funnel.steps.is_empty() {
                    let values: Vec<String> = summary.event_values.iter().map(|v| v.value.clone()).collect();
                    s.view.funnel.steps = default_steps(&values);
                }
                s.data_name = Some(name);
                s.summary = Some(Rc::new(summary));
                s.generation += 1;
                s.loading = None;
                s.load_error = None;
            }
            Action::LoadFailed(e) => {
                s.loading = None;
                s.load_error = Some(e);
            }
            Action::DismissError => s.load_error = None,
            Action::FunnelRequested(id) => s.funnel_request = id,
            Action::FunnelDone { id, result } => {
                if id != s.funnel_request {
                    return self; // a newer request is on its way
                }
                match result {
                    Ok(r) => {
                        s.funnel = Some(Rc::new(r));
                        s.funnel_error = None;
                    }
                    Err(e) => {
                        s.funnel = None;
                        s.funnel_error = Some(e);
                    }
                }
            }
        }
        Rc::new(s)
    }
}
