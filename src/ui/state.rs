//! The one app state, its actions and reducer.

use std::rc::Rc;

use yew::Reducible;

use crate::core::attribution::AttributionResult;
use crate::core::funnel::{default_steps, FunnelResult};
use crate::core::ingest::LoadError;
use crate::core::paths::PathResult;
use crate::core::stages::{StageModel, StagesResult};
use crate::core::summary::Summary;
use crate::core::view::ViewState;

/// A load in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Loading {
    pub name: String,
    pub bytes: u64,
    pub total: Option<u64>,
    pub rows: u64,
    pub elapsed_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AppState {
    /// What the URL fragment holds.
    pub view: ViewState,
    /// Whether the funnel steps were picked automatically (so new data re-picks them);
    /// steps from a link or chosen by the user are kept.
    pub steps_auto: bool,
    /// Problems with the URL the page was opened with.
    pub url_warnings: Vec<String>,
    /// The loaded data's summary; kept when a later load fails.
    pub summary: Option<Rc<Summary>>,
    /// Whether the loaded data is the built-in sample or came from a `data=` URL
    /// (files opened next replace it rather than join it).
    pub replaceable: bool,
    /// What `replaceable` becomes when the load in progress succeeds.
    pub pending_replaceable: bool,
    /// Bumped on every successful load, so queries re-run.
    pub generation: u32,
    pub loading: Option<Loading>,
    pub load_errors: Vec<LoadError>,
    /// A short notice such as "Load cancelled".
    pub notice: Option<String>,
    /// The id of the newest funnel request and its result.
    pub funnel_request: u32,
    pub funnel: Option<Rc<FunnelResult>>,
    pub funnel_error: Option<String>,
    /// The id of the newest paths request and its result.
    pub paths_request: u32,
    pub paths: Option<Rc<PathResult>>,
    pub paths_error: Option<String>,
    /// Whether the newest funnel or paths request is still being computed.
    pub funnel_pending: bool,
    pub paths_pending: bool,
    /// The id of the newest attribution request, its result and whether it is pending.
    pub attribution_request: u32,
    pub attribution: Option<Rc<AttributionResult>>,
    pub attribution_error: Option<String>,
    pub attribution_pending: bool,
    /// The id of the newest stages request, the model it was for, its result and whether it is pending.
    pub stages_request: u32,
    pub stages_model: StageModel,
    pub stages: Option<Rc<StagesResult>>,
    pub stages_error: Option<String>,
    pub stages_pending: bool,
}

pub enum Action {
    /// The user changed the view (steps, window, mapping ...).
    SetView(ViewState),
    /// The page was opened with, or navigated to, a fragment.
    FromUrl(ViewState, Vec<String>),
    /// A load began; `replaceable` tells what the data will be once it succeeds.
    LoadStarted {
        name: String,
        replaceable: bool,
    },
    Progress(Loading),
    Loaded(Summary),
    LoadFailed(Vec<LoadError>),
    Cancelled,
    DismissError,
    FunnelRequested(u32),
    PathsRequested(u32),
    PathsDone {
        id: u32,
        result: Result<Box<PathResult>, String>,
    },
    FunnelDone {
        id: u32,
        result: Result<FunnelResult, String>,
    },
    AttributionRequested(u32),
    AttributionDone {
        id: u32,
        result: Result<Box<AttributionResult>, String>,
    },
    StagesRequested(u32, StageModel),
    StagesDone {
        id: u32,
        result: Result<Box<StagesResult>, String>,
    },
}

impl AppState {
    /// Takes a new view; a result for other steps or another dimension is dropped at once
    /// (with no steps, nothing would replace it).
    fn set_view(&mut self, v: ViewState) {
        if v.funnel.steps.is_empty() || v.funnel.by != self.view.funnel.by {
            self.funnel = None;
            self.funnel_error = None;
        }
        self.view = v;
    }

    /// What the header shows as the loaded data's name.
    pub fn data_name(&self) -> Option<String> {
        let files = &self.summary.as_ref()?.files;
        Some(match files.as_slice() {
            [one] => one.name.clone(),
            many => {
                format!("{} files: {}", many.len(), many.iter().map(|f| f.name.as_str()).collect::<Vec<_>>().join(", "))
            }
        })
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Action::SetView(v) => {
                if v.funnel.steps != s.view.funnel.steps || v.funnel.by != s.view.funnel.by {
                    s.steps_auto = false;
                }
                s.set_view(v);
            }
            Action::FromUrl(v, warnings) => {
                s.steps_auto = v.funnel.steps.is_empty();
                s.set_view(v);
                s.url_warnings = warnings;
            }
            Action::LoadStarted { name, replaceable } => {
                s.loading = Some(Loading { name, bytes: 0, total: None, rows: 0, elapsed_ms: 0.0 });
                s.load_errors.clear();
                s.notice = None;
                s.pending_replaceable = replaceable;
            }
            Action::Progress(p) => s.loading = Some(p),
            Action::Loaded(summary) => {
                if s.view.funnel.steps.is_empty() || s.steps_auto {
                    let values: Vec<String> = summary.event_values.iter().map(|v| v.value.clone()).collect();
                    s.view.funnel.by = Default::default();
                    s.view.funnel.steps = default_steps(&values);
                    s.view.funnel.optional.clear();
                    s.view.funnel.exclusions.clear();
                    s.steps_auto = true;
                }
                if !summary.has_channel {
                    s.view.paths.by = crate::core::funnel::Dimension::Event;
                }
                // A path table only has attribution to show.
                if summary.path_table.is_some() {
                    s.view.view = "attribution".into();
                }
                s.summary = (!summary.files.is_empty()).then(|| Rc::new(summary));
                s.replaceable = s.pending_replaceable;
                s.generation += 1;
                s.loading = None;
            }
            Action::LoadFailed(errors) => {
                s.loading = None;
                s.load_errors = errors;
            }
            Action::Cancelled => {
                s.loading = None;
                s.notice = Some("Load cancelled.".into());
            }
            Action::DismissError => {
                s.load_errors.clear();
                s.notice = None;
            }
            Action::FunnelRequested(id) => {
                s.funnel_request = id;
                s.funnel_pending = true;
            }
            Action::PathsRequested(id) => {
                s.paths_request = id;
                s.paths_pending = true;
            }
            Action::PathsDone { id, result } => {
                if id != s.paths_request {
                    return self;
                }
                s.paths_pending = false;
                match result {
                    Ok(r) => {
                        s.paths = Some(Rc::new(*r));
                        s.paths_error = None;
                    }
                    Err(e) => {
                        s.paths = None;
                        s.paths_error = Some(e);
                    }
                }
            }
            Action::AttributionRequested(id) => {
                s.attribution_request = id;
                s.attribution_pending = true;
            }
            Action::AttributionDone { id, result } => {
                // Id 0 answers a journeys download that failed.
                if id != s.attribution_request && id != 0 {
                    return self;
                }
                if id != 0 {
                    s.attribution_pending = false;
                }
                match result {
                    Ok(r) => {
                        s.attribution = Some(Rc::new(*r));
                        s.attribution_error = None;
                    }
                    Err(e) => {
                        s.attribution = None;
                        s.attribution_error = Some(e);
                    }
                }
            }
            Action::StagesRequested(id, model) => {
                s.stages_request = id;
                s.stages_model = model;
                s.stages_pending = true;
            }
            Action::StagesDone { id, result } => {
                // Id 0 answers a customers download that failed.
                if id != s.stages_request && id != 0 {
                    return self;
                }
                if id != 0 {
                    s.stages_pending = false;
                }
                match result {
                    Ok(r) => {
                        s.stages = Some(Rc::new(*r));
                        s.stages_error = None;
                    }
                    Err(e) => {
                        s.stages = None;
                        s.stages_error = Some(e);
                    }
                }
            }
            Action::FunnelDone { id, result } => {
                if id != s.funnel_request {
                    return self; // a newer request is on its way
                }
                s.funnel_pending = false;
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
