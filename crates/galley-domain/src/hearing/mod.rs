//! The requirements hearing: the question catalog, sessions and answers, and the views tools return.

pub mod catalog;
pub mod session;
pub mod value;
pub mod view;

pub use catalog::{Catalog, CatalogError, Question, QuestionType};
pub use session::{
    Answer, AnswerInput, AnswerProblem, AnswerSource, HearingError, Progress, Session, SessionStatus,
};
pub use view::{HearingResult, QuestionView};
