//! The guide, one page per topic. The text lives in `docs/guide/*.md` (readable on GitHub as well), and
//! every Rust block in it is compiled by `cargo test --doc`.

pub mod configuration {
    #![doc = include_str!("../docs/guide/configuration.md")]
}

pub mod orgs {
    #![doc = include_str!("../docs/guide/orgs.md")]
}

pub mod errors {
    #![doc = include_str!("../docs/guide/errors.md")]
}

pub mod pagination {
    #![doc = include_str!("../docs/guide/pagination.md")]
}

pub mod retries {
    #![doc = include_str!("../docs/guide/retries.md")]
}

pub mod limiter {
    #![doc = include_str!("../docs/guide/limiter.md")]
}

pub mod live_api {
    #![doc = include_str!("../docs/guide/live_api.md")]
}

pub mod raw_calls {
    #![doc = include_str!("../docs/guide/raw_calls.md")]
}

pub mod events {
    #![doc = include_str!("../docs/guide/events.md")]
}

pub mod testing {
    #![doc = include_str!("../docs/guide/testing.md")]
}

pub mod tracing {
    #![doc = include_str!("../docs/guide/tracing.md")]
}

pub mod drift {
    #![doc = include_str!("../docs/guide/drift.md")]
}
