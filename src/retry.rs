//! Retry policy: the settings a client is built with (`config`), why retrying stopped (`stop`), the
//! waits between attempts (`backoff`) and the retry budget (`budget`). The loop that applies them to a
//! call is `call::retry_loop`, beside the executor it serves.

pub(crate) mod backoff;
pub(crate) mod budget;
pub(crate) mod config;
pub(crate) mod stop;
