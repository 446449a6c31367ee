//! The functions' configuration, read from environment variables once per Lambda instance.
//!
//! Every variable is listed in [`VARIABLES`] (and in `crates/functions/README.md`), with the
//! functions that read it: a function requires only what it uses, so the `api` function
//! starts without the ledger, the topic or the DRS settings. Reading checks all of a
//! function's variables and reports every missing or invalid one at once, naming the
//! function, so a deployment is fixed in one go rather than one variable per cold start.

use std::collections::BTreeMap;
use std::fmt;

use aws_adapters::QueueEndpoints;
use aws_adapters::wiring::{TableNames, Wiring};
use engine::Limits;
use pipeline::Role;
use pipeline::message::QueueName;

/// The DynamoDB table of stored plans.
pub const PLANS_TABLE: &str = "PLANS_TABLE";
/// The DynamoDB table of executions.
pub const EXECUTIONS_TABLE: &str = "EXECUTIONS_TABLE";
/// The DynamoDB table of the job ledger.
pub const LEDGER_TABLE: &str = "LEDGER_TABLE";
/// The start queue's URL.
pub const START_QUEUE_URL: &str = "START_QUEUE_URL";
/// The start queue's dead-letter queue's URL.
pub const START_DLQ_URL: &str = "START_DLQ_URL";
/// The check queue's URL.
pub const CHECK_QUEUE_URL: &str = "CHECK_QUEUE_URL";
/// The check queue's dead-letter queue's URL.
pub const CHECK_DLQ_URL: &str = "CHECK_DLQ_URL";
/// The advance queue's URL.
pub const ADVANCE_QUEUE_URL: &str = "ADVANCE_QUEUE_URL";
/// The advance queue's dead-letter queue's URL.
pub const ADVANCE_DLQ_URL: &str = "ADVANCE_DLQ_URL";
/// The SNS topic of notifications (and approval requests).
pub const NOTIFICATION_TOPIC_ARN: &str = "NOTIFICATION_TOPIC_ARN";
/// The orchestrator's own account; when absent, STS `GetCallerIdentity` at start-up.
pub const ORCHESTRATOR_ACCOUNT_ID: &str = "ORCHESTRATOR_ACCOUNT_ID";
/// DRS quota: source servers per job.
pub const DRS_MAX_SERVERS_PER_JOB: &str = "DRS_MAX_SERVERS_PER_JOB";
/// DRS quota: concurrent jobs per account and region.
pub const DRS_MAX_CONCURRENT_JOBS: &str = "DRS_MAX_CONCURRENT_JOBS";
/// DRS quota: source servers in all active jobs per account and region.
pub const DRS_MAX_SERVERS_IN_ACTIVE_JOBS: &str = "DRS_MAX_SERVERS_IN_ACTIVE_JOBS";
/// Days finished executions are kept (DynamoDB TTL); 0 keeps them forever.
pub const EXECUTION_TTL_DAYS: &str = "EXECUTION_TTL_DAYS";
/// Days released ledger claims and job owners are kept; 0 keeps them forever.
pub const LEDGER_TTL_DAYS: &str = "LEDGER_TTL_DAYS";

/// The Lambda Runtime API's address (`host:port`), set by Lambda.
pub const AWS_LAMBDA_RUNTIME_API: &str = "AWS_LAMBDA_RUNTIME_API";
/// Set by Lambda; `lambda_runtime` requires it.
pub const AWS_LAMBDA_FUNCTION_NAME: &str = "AWS_LAMBDA_FUNCTION_NAME";
/// Set by Lambda; `lambda_runtime` requires it (an integer, MB).
pub const AWS_LAMBDA_FUNCTION_MEMORY_SIZE: &str = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE";
/// Set by Lambda; `lambda_runtime` requires it.
pub const AWS_LAMBDA_FUNCTION_VERSION: &str = "AWS_LAMBDA_FUNCTION_VERSION";

/// The functions of this package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Function {
    /// The start queue's function.
    Starter,
    /// The check queue's function.
    Checker,
    /// The advance queue's function.
    Advancer,
    /// The HTTP API's function.
    Api,
}

impl Function {
    /// Every function.
    pub const ALL: [Self; 4] = [Self::Starter, Self::Checker, Self::Advancer, Self::Api];

    /// The function consuming `role`'s queue.
    pub fn of(role: Role) -> Self {
        match role {
            Role::Starter => Self::Starter,
            Role::Checker => Self::Checker,
            Role::Advancer => Self::Advancer,
        }
    }

    /// Its name (that of its binary).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starter => Role::Starter.as_str(),
            Self::Checker => Role::Checker.as_str(),
            Self::Advancer => Role::Advancer.as_str(),
            Self::Api => "api",
        }
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who sets a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The deployment (the SAM template's `Environment.Variables`).
    Deployment,
    /// Lambda itself (reserved variables).
    Lambda,
}

/// One variable of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variable {
    /// Its name.
    pub name: &'static str,
    /// Whether the functions that read it refuse to start without it.
    pub required: bool,
    /// Who sets it.
    pub source: Source,
    /// The functions that read it.
    pub read_by: &'static [Function],
    /// What it holds (used in error messages and the README).
    pub meaning: &'static str,
}

impl Variable {
    /// Whether `function` reads it.
    pub fn is_read_by(&self, function: Function) -> bool {
        self.read_by.contains(&function)
    }
}

/// The queue functions share one configuration: each carries out whatever the engine
/// decides, which may touch every table, queue, the topic and DRS.
const QUEUE_FUNCTIONS: &[Function] = &[Function::Starter, Function::Checker, Function::Advancer];
const EVERY_FUNCTION: &[Function] = &Function::ALL;

const fn deployment(
    name: &'static str,
    required: bool,
    read_by: &'static [Function],
    meaning: &'static str,
) -> Variable {
    Variable {
        name,
        required,
        source: Source::Deployment,
        read_by,
        meaning,
    }
}

const fn lambda(name: &'static str, meaning: &'static str) -> Variable {
    Variable {
        name,
        required: true,
        source: Source::Lambda,
        read_by: EVERY_FUNCTION,
        meaning,
    }
}

/// Every variable the functions read (besides the AWS SDK's own: `AWS_REGION`,
/// `AWS_ENDPOINT_URL*`, credentials; and the log level, see [`crate::telemetry`]).
pub const VARIABLES: &[Variable] = &[
    deployment(
        PLANS_TABLE,
        true,
        EVERY_FUNCTION,
        "the DynamoDB table of stored plans",
    ),
    deployment(
        EXECUTIONS_TABLE,
        true,
        EVERY_FUNCTION,
        "the DynamoDB table of executions",
    ),
    deployment(
        LEDGER_TABLE,
        true,
        QUEUE_FUNCTIONS,
        "the DynamoDB table of the DRS job ledger",
    ),
    deployment(
        START_QUEUE_URL,
        true,
        EVERY_FUNCTION,
        "the URL of the start queue",
    ),
    deployment(
        START_DLQ_URL,
        true,
        QUEUE_FUNCTIONS,
        "the URL of the start queue's dead-letter queue",
    ),
    deployment(
        CHECK_QUEUE_URL,
        true,
        QUEUE_FUNCTIONS,
        "the URL of the check queue",
    ),
    deployment(
        CHECK_DLQ_URL,
        true,
        QUEUE_FUNCTIONS,
        "the URL of the check queue's dead-letter queue",
    ),
    deployment(
        ADVANCE_QUEUE_URL,
        true,
        EVERY_FUNCTION,
        "the URL of the advance queue",
    ),
    deployment(
        ADVANCE_DLQ_URL,
        true,
        QUEUE_FUNCTIONS,
        "the URL of the advance queue's dead-letter queue",
    ),
    deployment(
        NOTIFICATION_TOPIC_ARN,
        true,
        QUEUE_FUNCTIONS,
        "the ARN of the SNS topic for notifications and approval requests",
    ),
    deployment(
        ORCHESTRATOR_ACCOUNT_ID,
        false,
        QUEUE_FUNCTIONS,
        "the orchestrator's own 12-digit account ID (default: STS GetCallerIdentity at start-up)",
    ),
    deployment(
        DRS_MAX_SERVERS_PER_JOB,
        false,
        QUEUE_FUNCTIONS,
        "DRS quota: source servers per StartRecovery job (default 100, at most 200)",
    ),
    deployment(
        DRS_MAX_CONCURRENT_JOBS,
        false,
        QUEUE_FUNCTIONS,
        "DRS quota: concurrent jobs per account and region (default 20)",
    ),
    deployment(
        DRS_MAX_SERVERS_IN_ACTIVE_JOBS,
        false,
        QUEUE_FUNCTIONS,
        "DRS quota: source servers in all active jobs per account and region (default 500)",
    ),
    // The api only reads executions: the TTL is set when an execution is saved finished.
    deployment(
        EXECUTION_TTL_DAYS,
        false,
        QUEUE_FUNCTIONS,
        "days a finished execution is kept (default 90; 0 keeps it forever)",
    ),
    deployment(
        LEDGER_TTL_DAYS,
        false,
        QUEUE_FUNCTIONS,
        "days a released ledger claim is kept (default 30; 0 keeps it forever)",
    ),
    lambda(
        AWS_LAMBDA_RUNTIME_API,
        "the Lambda Runtime API's host:port (locally, `cargo lambda watch` provides one)",
    ),
    lambda(AWS_LAMBDA_FUNCTION_NAME, "the function's name"),
    lambda(
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
        "the function's memory in MB, an integer",
    ),
    lambda(AWS_LAMBDA_FUNCTION_VERSION, "the function's version"),
];

/// The variables `function` reads, in [`VARIABLES`] order.
pub fn variables_of(function: Function) -> impl Iterator<Item = &'static Variable> {
    VARIABLES.iter().filter(move |v| v.is_read_by(function))
}

/// The api function's configuration: the HTTP API reads plans and executions and sends to
/// the start queue (new executions) and the advance queue (cancels, approvals), nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiEnvironment {
    /// The plans table.
    pub plans_table: String,
    /// The executions table.
    pub executions_table: String,
    /// The start queue's URL.
    pub start_queue_url: String,
    /// The advance queue's URL.
    pub advance_queue_url: String,
}

/// What is wrong with one variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The variable.
    pub variable: &'static str,
    /// What is wrong, as a sentence about it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.variable, self.message)
    }
}

/// Every missing or invalid variable of one function.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct EnvironmentError {
    /// The function whose configuration this is.
    pub function: Function,
    /// One per variable, in [`VARIABLES`] order.
    pub problems: Vec<Problem>,
}

impl EnvironmentError {
    /// The names of the variables at fault.
    pub fn variables(&self) -> Vec<&'static str> {
        self.problems.iter().map(|p| p.variable).collect()
    }
}

impl fmt::Display for EnvironmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.problems.len();
        write!(
            f,
            "the {} function's configuration is incomplete: {count} environment variable{} {} \
             missing or invalid (see crates/functions/README.md):",
            self.function,
            if count == 1 { "" } else { "s" },
            if count == 1 { "is" } else { "are" },
        )?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

/// The process environment, as the readers' lookup.
pub fn process(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The configuration of the function consuming `role`'s queue, read through `lookup` (a
/// name → its value, `None` when unset; [`process`] in Lambda).
pub fn queue_function(
    role: Role,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<Wiring, EnvironmentError> {
    let mut reader = Reader::new(Function::of(role), &lookup);
    let tables = TableNames {
        plans: reader.required(PLANS_TABLE, table_name),
        executions: reader.required(EXECUTIONS_TABLE, table_name),
        ledger: reader.required(LEDGER_TABLE, table_name),
    };
    let mut queues = BTreeMap::new();
    for (queue, url, dead_letter_url) in [
        (QueueName::Start, START_QUEUE_URL, START_DLQ_URL),
        (QueueName::Check, CHECK_QUEUE_URL, CHECK_DLQ_URL),
        (QueueName::Advance, ADVANCE_QUEUE_URL, ADVANCE_DLQ_URL),
    ] {
        queues.insert(
            queue,
            QueueEndpoints {
                url: reader.required(url, http_url),
                dead_letter_url: reader.required(dead_letter_url, http_url),
            },
        );
    }
    let mut wiring = Wiring::new(
        tables,
        queues,
        reader.required(NOTIFICATION_TOPIC_ARN, sns_topic_arn),
    );
    wiring.own_account_id = reader.optional(ORCHESTRATOR_ACCOUNT_ID, account_id);
    // The checker only describes: in a target it gets a session that cannot do more.
    if role == Role::Checker {
        wiring.drs_session_policy = Some(aws_adapters::wiring::DESCRIBE_ONLY_SESSION_POLICY);
    }
    wiring.limits = reader.limits();
    wiring.execution_ttl_days = reader.ttl_days(
        EXECUTION_TTL_DAYS,
        aws_adapters::dynamodb::executions::DEFAULT_TTL_DAYS,
    );
    wiring.ledger_ttl_days = reader.ttl_days(
        LEDGER_TTL_DAYS,
        aws_adapters::dynamodb::ledger::DEFAULT_TTL_DAYS,
    );
    reader.finish(wiring)
}

/// The api function's configuration, read through `lookup` (see [`queue_function`]).
pub fn api(lookup: impl Fn(&str) -> Option<String>) -> Result<ApiEnvironment, EnvironmentError> {
    let mut reader = Reader::new(Function::Api, &lookup);
    let environment = ApiEnvironment {
        plans_table: reader.required(PLANS_TABLE, table_name),
        executions_table: reader.required(EXECUTIONS_TABLE, table_name),
        start_queue_url: reader.required(START_QUEUE_URL, http_url),
        advance_queue_url: reader.required(ADVANCE_QUEUE_URL, http_url),
    };
    reader.finish(environment)
}

/// Reads variables and collects what is wrong with them.
struct Reader<'a> {
    function: Function,
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<Problem>,
}

impl<'a> Reader<'a> {
    fn new(function: Function, lookup: &'a dyn Fn(&str) -> Option<String>) -> Self {
        Self {
            function,
            lookup,
            problems: Vec::new(),
        }
    }

    /// `value` if every variable read (and Lambda's own) is fine, else every problem.
    fn finish<T>(mut self, value: T) -> Result<T, EnvironmentError> {
        // `lambda_runtime` panics without these: checked here, so a missing one is reported.
        for variable in [
            AWS_LAMBDA_RUNTIME_API,
            AWS_LAMBDA_FUNCTION_NAME,
            AWS_LAMBDA_FUNCTION_VERSION,
        ] {
            self.required(variable, |v| non_empty(v).map(str::to_owned));
        }
        self.required(AWS_LAMBDA_FUNCTION_MEMORY_SIZE, |v| {
            v.trim()
                .parse::<i32>()
                .map_err(|_| "is not an integer".to_owned())
        });
        if self.problems.is_empty() {
            return Ok(value);
        }
        let order = |p: &Problem| VARIABLES.iter().position(|v| v.name == p.variable);
        let mut problems = self.problems;
        problems.sort_by_key(order);
        Err(EnvironmentError {
            function: self.function,
            problems,
        })
    }

    /// The parsed value; on a problem, records it and returns a placeholder (the result is
    /// thrown away when there is any problem).
    fn required<T: Default>(
        &mut self,
        name: &'static str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> T {
        match (self.lookup)(name) {
            None => {
                let meaning = VARIABLES
                    .iter()
                    .find(|v| v.name == name)
                    .map_or("", |v| v.meaning);
                self.problem(name, format!("is not set ({meaning})"));
                T::default()
            }
            Some(value) => self.parse(name, &value, parse).unwrap_or_default(),
        }
    }

    fn optional<T>(
        &mut self,
        name: &'static str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = (self.lookup)(name)?;
        if value.trim().is_empty() {
            return None;
        }
        self.parse(name, &value, parse)
    }

    fn parse<T>(
        &mut self,
        name: &'static str,
        value: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        match parse(value) {
            Ok(parsed) => Some(parsed),
            Err(why) => {
                self.problem(name, format!("`{value}` {why}"));
                None
            }
        }
    }

    fn problem(&mut self, variable: &'static str, message: String) {
        self.problems.push(Problem { variable, message });
    }

    fn limits(&mut self) -> Limits {
        let defaults = Limits::default();
        let count = |v: &str| {
            v.trim()
                .parse::<u32>()
                .map_err(|_| "is not a whole number".to_owned())
        };
        let limits = Limits {
            servers_per_job: self
                .optional(DRS_MAX_SERVERS_PER_JOB, count)
                .unwrap_or(defaults.servers_per_job),
            concurrent_jobs: self
                .optional(DRS_MAX_CONCURRENT_JOBS, count)
                .unwrap_or(defaults.concurrent_jobs),
            servers_in_active_jobs: self
                .optional(DRS_MAX_SERVERS_IN_ACTIVE_JOBS, count)
                .unwrap_or(defaults.servers_in_active_jobs),
        };
        // The engine's own rules, worded with the variables' names.
        let fields = [
            ("limits.servers_per_job", DRS_MAX_SERVERS_PER_JOB),
            ("limits.concurrent_jobs", DRS_MAX_CONCURRENT_JOBS),
            (
                "limits.servers_in_active_jobs",
                DRS_MAX_SERVERS_IN_ACTIVE_JOBS,
            ),
        ];
        for problem in limits.problems() {
            let variable = fields
                .iter()
                .find(|(field, _)| problem.starts_with(field))
                .map_or(DRS_MAX_SERVERS_PER_JOB, |(_, variable)| *variable);
            let message = fields.iter().fold(problem, |text, (field, variable)| {
                text.replace(field, variable)
            });
            self.problem(variable, message);
        }
        limits
    }

    fn ttl_days(&mut self, name: &'static str, default: u32) -> Option<u32> {
        let days = self.optional(name, |v| {
            v.trim()
                .parse::<u32>()
                .map_err(|_| "is not a whole number of days".to_owned())
        });
        match days {
            None => Some(default),
            Some(0) => None,
            Some(days) => Some(days),
        }
    }
}

fn non_empty(value: &str) -> Result<&str, String> {
    let value = value.trim();
    if value.is_empty() {
        Err("is empty".to_owned())
    } else {
        Ok(value)
    }
}

/// DynamoDB table names: 3 to 255 of `[a-zA-Z0-9_.-]`.
fn table_name(value: &str) -> Result<String, String> {
    let value = non_empty(value)?;
    let valid = (3..=255).contains(&value.len())
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if valid {
        Ok(value.to_owned())
    } else {
        Err("is not a DynamoDB table name (3 to 255 letters, digits, `_`, `-`, `.`)".to_owned())
    }
}

fn http_url(value: &str) -> Result<String, String> {
    let value = non_empty(value)?;
    let host = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    match host {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(value.to_owned()),
        _ => Err(
            "is not an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)".to_owned(),
        ),
    }
}

fn sns_topic_arn(value: &str) -> Result<String, String> {
    let value = non_empty(value)?;
    let parts: Vec<&str> = value.split(':').collect();
    if parts.len() == 6 && parts[0] == "arn" && parts[2] == "sns" && !parts[5].is_empty() {
        Ok(value.to_owned())
    } else {
        Err("is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)".to_owned())
    }
}

fn account_id(value: &str) -> Result<String, String> {
    let value = value.trim();
    if value.len() == 12 && value.chars().all(|c| c.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err("is not a 12-digit AWS account ID".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use super::*;

    fn complete() -> HashMap<&'static str, String> {
        let queue = |name: &str| format!("https://sqs.us-east-1.amazonaws.com/111122223333/{name}");
        HashMap::from([
            (PLANS_TABLE, "drs-orchestrator-plans".to_owned()),
            (EXECUTIONS_TABLE, "drs-orchestrator-executions".to_owned()),
            (LEDGER_TABLE, "drs-orchestrator-ledger".to_owned()),
            (START_QUEUE_URL, queue("drs-orchestrator-start")),
            (START_DLQ_URL, queue("drs-orchestrator-start-dlq")),
            (CHECK_QUEUE_URL, queue("drs-orchestrator-check")),
            (CHECK_DLQ_URL, queue("drs-orchestrator-check-dlq")),
            (ADVANCE_QUEUE_URL, queue("drs-orchestrator-advance")),
            (ADVANCE_DLQ_URL, queue("drs-orchestrator-advance-dlq")),
            (
                NOTIFICATION_TOPIC_ARN,
                "arn:aws:sns:us-east-1:111122223333:drs-orchestrator-notifications".to_owned(),
            ),
            (AWS_LAMBDA_RUNTIME_API, "127.0.0.1:9001".to_owned()),
            (
                AWS_LAMBDA_FUNCTION_NAME,
                "drs-orchestrator-starter".to_owned(),
            ),
            (AWS_LAMBDA_FUNCTION_MEMORY_SIZE, "128".to_owned()),
            (AWS_LAMBDA_FUNCTION_VERSION, "$LATEST".to_owned()),
        ])
    }

    fn read(vars: &HashMap<&'static str, String>) -> Result<Wiring, EnvironmentError> {
        queue_function(Role::Starter, |name| vars.get(name).cloned())
    }

    #[test]
    fn only_the_checker_assumes_target_roles_with_the_describe_only_session_policy() {
        let vars = complete();
        for role in Role::ALL {
            let wiring = queue_function(role, |name| vars.get(name).cloned()).unwrap();
            let expected = (role == Role::Checker)
                .then_some(aws_adapters::wiring::DESCRIBE_ONLY_SESSION_POLICY);
            assert_eq!(wiring.drs_session_policy, expected, "{}", role.as_str());
            // No variable can make a deployed function run a plan given whole.
            assert_eq!(wiring.inline_plans, pipeline::InlinePlans::Refused);
        }
    }

    /// Reads `function`'s configuration, keeping only whether it failed.
    fn read_as(
        function: Function,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<(), EnvironmentError> {
        match function {
            Function::Api => api(lookup).map(drop),
            Function::Starter => queue_function(Role::Starter, lookup).map(drop),
            Function::Checker => queue_function(Role::Checker, lookup).map(drop),
            Function::Advancer => queue_function(Role::Advancer, lookup).map(drop),
        }
    }

    /// What `function` asks of its environment when every variable is set: the names, and
    /// whether reading succeeded.
    fn asked_by(function: Function) -> (Vec<String>, bool) {
        let asked = RefCell::new(Vec::new());
        let vars: HashMap<&str, String> = complete()
            .into_iter()
            .chain([
                (ORCHESTRATOR_ACCOUNT_ID, "444455556666".to_owned()),
                (DRS_MAX_SERVERS_PER_JOB, "100".to_owned()),
                (DRS_MAX_CONCURRENT_JOBS, "20".to_owned()),
                (DRS_MAX_SERVERS_IN_ACTIVE_JOBS, "500".to_owned()),
                (EXECUTION_TTL_DAYS, "90".to_owned()),
                (LEDGER_TTL_DAYS, "30".to_owned()),
            ])
            .collect();
        let lookup = |name: &str| {
            asked.borrow_mut().push(name.to_owned());
            vars.get(name).cloned()
        };
        let ok = read_as(function, lookup).is_ok();
        let mut asked = asked.into_inner();
        asked.sort();
        asked.dedup();
        (asked, ok)
    }

    #[test]
    fn each_function_reads_exactly_the_variables_listed_for_it() {
        for function in Function::ALL {
            let (asked, ok) = asked_by(function);
            assert!(ok, "{function}");
            let mut listed: Vec<String> =
                variables_of(function).map(|v| v.name.to_owned()).collect();
            listed.sort();
            assert_eq!(asked, listed, "{function}");
        }
        let (api_reads, _) = asked_by(Function::Api);
        for unused in [
            LEDGER_TABLE,
            NOTIFICATION_TOPIC_ARN,
            CHECK_QUEUE_URL,
            START_DLQ_URL,
            ORCHESTRATOR_ACCOUNT_ID,
            DRS_MAX_SERVERS_PER_JOB,
        ] {
            assert!(!api_reads.contains(&unused.to_owned()), "{unused}");
        }
    }

    #[test]
    fn a_complete_environment_is_read_with_defaults_for_the_optional_variables() {
        let wiring = read(&complete()).unwrap();
        assert_eq!(wiring.tables.executions, "drs-orchestrator-executions");
        assert_eq!(
            wiring.queues[&QueueName::Check].dead_letter_url,
            "https://sqs.us-east-1.amazonaws.com/111122223333/drs-orchestrator-check-dlq"
        );
        assert_eq!(wiring.queues.len(), 3);
        assert_eq!(
            wiring.topic_arn,
            "arn:aws:sns:us-east-1:111122223333:drs-orchestrator-notifications"
        );
        assert_eq!(wiring.limits, Limits::default());
        assert_eq!(wiring.own_account_id, None);
        assert_eq!(wiring.execution_ttl_days, Some(90));
        assert_eq!(wiring.ledger_ttl_days, Some(30));
        assert_eq!(wiring.time_scale, 1.0);
    }

    #[test]
    fn optional_variables_override_the_defaults() {
        let mut vars = complete();
        vars.insert(ORCHESTRATOR_ACCOUNT_ID, "444455556666".to_owned());
        vars.insert(DRS_MAX_SERVERS_PER_JOB, "150".to_owned());
        vars.insert(DRS_MAX_CONCURRENT_JOBS, "40".to_owned());
        vars.insert(DRS_MAX_SERVERS_IN_ACTIVE_JOBS, "1000".to_owned());
        vars.insert(EXECUTION_TTL_DAYS, "0".to_owned());
        vars.insert(LEDGER_TTL_DAYS, "7".to_owned());
        let wiring = read(&vars).unwrap();
        assert_eq!(wiring.own_account_id.as_deref(), Some("444455556666"));
        assert_eq!(
            wiring.limits,
            Limits {
                servers_per_job: 150,
                concurrent_jobs: 40,
                servers_in_active_jobs: 1000,
            }
        );
        assert_eq!(wiring.execution_ttl_days, None);
        assert_eq!(wiring.ledger_ttl_days, Some(7));
    }

    #[test]
    fn every_missing_variable_is_named_in_one_error_with_the_function() {
        let mut vars = complete();
        vars.remove(PLANS_TABLE);
        vars.remove(CHECK_DLQ_URL);
        vars.remove(AWS_LAMBDA_FUNCTION_NAME);
        let error = queue_function(Role::Checker, |name| vars.get(name).cloned()).unwrap_err();
        assert_eq!(error.function, Function::Checker);
        assert_eq!(
            error.variables(),
            vec![PLANS_TABLE, CHECK_DLQ_URL, AWS_LAMBDA_FUNCTION_NAME]
        );
        let text = error.to_string();
        assert!(
            text.starts_with("the checker function's configuration is incomplete: 3 environment variables are missing or invalid"),
            "{text}"
        );
        assert!(
            text.contains("PLANS_TABLE: is not set (the DynamoDB table of stored plans)"),
            "{text}"
        );
    }

    #[test]
    fn an_empty_environment_names_every_variable_the_function_requires() {
        for function in Function::ALL {
            let error = read_as(function, |_| None).unwrap_err();
            let required: Vec<&str> = variables_of(function)
                .filter(|v| v.required)
                .map(|v| v.name)
                .collect();
            assert_eq!(error.variables(), required, "{function}");
            assert_eq!(error.function, function);
        }
    }

    #[test]
    fn the_api_needs_neither_the_ledger_nor_the_topic_nor_the_drs_settings() {
        let mut vars = complete();
        for unused in [
            LEDGER_TABLE,
            START_DLQ_URL,
            CHECK_QUEUE_URL,
            CHECK_DLQ_URL,
            ADVANCE_DLQ_URL,
            NOTIFICATION_TOPIC_ARN,
        ] {
            vars.remove(unused);
        }
        // Not read, so not checked either.
        vars.insert(DRS_MAX_SERVERS_PER_JOB, "300".to_owned());
        let environment = api(|name| vars.get(name).cloned()).unwrap();
        assert_eq!(environment.plans_table, "drs-orchestrator-plans");
        assert_eq!(
            environment.advance_queue_url,
            "https://sqs.us-east-1.amazonaws.com/111122223333/drs-orchestrator-advance"
        );

        vars.remove(EXECUTIONS_TABLE);
        let error = api(|name| vars.get(name).cloned()).unwrap_err();
        assert_eq!(error.variables(), vec![EXECUTIONS_TABLE]);
        let text = error.to_string();
        assert!(
            text.starts_with(
                "the api function's configuration is incomplete: 1 environment variable is missing"
            ),
            "{text}"
        );
    }

    #[test]
    fn invalid_values_are_quoted_with_what_is_expected() {
        let mut vars = complete();
        vars.insert(START_QUEUE_URL, "drs-orchestrator-start".to_owned());
        vars.insert(
            NOTIFICATION_TOPIC_ARN,
            "arn:aws:sqs:us-east-1:1:q".to_owned(),
        );
        vars.insert(ORCHESTRATOR_ACCOUNT_ID, "1111-2222-3333".to_owned());
        vars.insert(LEDGER_TABLE, "a b".to_owned());
        vars.insert(AWS_LAMBDA_FUNCTION_MEMORY_SIZE, "lots".to_owned());
        let error = read(&vars).unwrap_err();
        assert_eq!(
            error.variables(),
            vec![
                LEDGER_TABLE,
                START_QUEUE_URL,
                NOTIFICATION_TOPIC_ARN,
                ORCHESTRATOR_ACCOUNT_ID,
                AWS_LAMBDA_FUNCTION_MEMORY_SIZE
            ]
        );
        let text = error.to_string();
        assert!(
            text.contains("START_QUEUE_URL: `drs-orchestrator-start` is not an SQS queue URL"),
            "{text}"
        );
        assert!(
            text.contains("`1111-2222-3333` is not a 12-digit AWS account ID"),
            "{text}"
        );
    }

    #[test]
    fn limits_are_checked_by_the_engine_rules_and_named_by_variable() {
        let mut vars = complete();
        vars.insert(DRS_MAX_SERVERS_PER_JOB, "300".to_owned());
        vars.insert(DRS_MAX_CONCURRENT_JOBS, "twenty".to_owned());
        let error = read(&vars).unwrap_err();
        assert_eq!(
            error.variables(),
            vec![DRS_MAX_SERVERS_PER_JOB, DRS_MAX_CONCURRENT_JOBS]
        );
        let text = error.to_string();
        assert!(
            text.contains("DRS_MAX_SERVERS_PER_JOB must be within 1..=200, got 300"),
            "{text}"
        );
        assert!(text.contains("`twenty` is not a whole number"), "{text}");
        assert!(!text.contains("limits."), "{text}");
    }
}
