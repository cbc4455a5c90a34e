//! Server-rendered UI building blocks shared by the admin dashboard and the fan
//! pages: SVG charts, the data the base layouts expect, and sample content for the
//! styleguide page.

pub mod charts;
pub mod layout;
pub mod samples;
