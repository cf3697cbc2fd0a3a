// KangqiaoBench: measures the hot paths of Kangqiao on this machine.
//
//   swift run -c release KangqiaoBench <command> [options]
//
// Each benchmark lives in its own file and contributes one `BenchCommand`; add yours to this table.

let commands: [BenchCommand] = [
    JSONBenchmark.command,
    HTTPBenchmark.command,
    IngestBenchmark.command,
    SearchBenchmark.command,
    AccessBenchmark.command,
    AuditAppendBenchmark.command,
]

await BenchCommand.main(commands: commands, arguments: Array(CommandLine.arguments.dropFirst()))
