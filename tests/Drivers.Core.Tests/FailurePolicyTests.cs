using Drivers.Core.Contracts;
using Drivers.Core.Failures;
using Xunit;

namespace Drivers.Core.Tests;

/// <summary>The one table of the failure model, pinned cell by cell (docs/cli.md prints the same table).</summary>
public sealed class FailurePolicyTests
{
    public static TheoryData<FailureKind, JobPhase, FailureAction, int> Table => new()
    {
        { FailureKind.Configuration, JobPhase.Fetch, FailureAction.Stop, 78 },
        { FailureKind.Configuration, JobPhase.Deliver, FailureAction.Stop, 78 },
        { FailureKind.Configuration, JobPhase.Run, FailureAction.Stop, 78 },
        { FailureKind.Configuration, JobPhase.Clear, FailureAction.Stop, 78 },
        { FailureKind.Configuration, JobPhase.Fail, FailureAction.Stop, 78 },
        { FailureKind.Configuration, JobPhase.Push, FailureAction.Stop, 78 },
        { FailureKind.Data, JobPhase.Fetch, FailureAction.Retry, 65 },
        { FailureKind.Data, JobPhase.Deliver, FailureAction.FailItem, 65 },
        { FailureKind.Data, JobPhase.Run, FailureAction.FailItem, 65 },
        { FailureKind.Data, JobPhase.Clear, FailureAction.FailItem, 65 },
        { FailureKind.Data, JobPhase.Fail, FailureAction.ParkItem, 65 },
        { FailureKind.Data, JobPhase.Push, FailureAction.Stop, 65 },
        { FailureKind.Transient, JobPhase.Fetch, FailureAction.Retry, 69 },
        { FailureKind.Transient, JobPhase.Deliver, FailureAction.ReleaseItem, 74 },
        { FailureKind.Transient, JobPhase.Run, FailureAction.ReleaseItem, 74 },
        { FailureKind.Transient, JobPhase.Clear, FailureAction.Retry, 69 },
        { FailureKind.Transient, JobPhase.Fail, FailureAction.Retry, 69 },
        { FailureKind.Transient, JobPhase.Push, FailureAction.Stop, 69 },
        { FailureKind.Lost, JobPhase.Fetch, FailureAction.Retry, 75 },
        { FailureKind.Lost, JobPhase.Deliver, FailureAction.LeaveItem, 75 },
        { FailureKind.Lost, JobPhase.Run, FailureAction.LeaveItem, 75 },
        { FailureKind.Lost, JobPhase.Clear, FailureAction.LeaveItem, 75 },
        { FailureKind.Lost, JobPhase.Fail, FailureAction.LeaveItem, 75 },
        { FailureKind.Lost, JobPhase.Push, FailureAction.LeaveItem, 75 },
        { FailureKind.Bug, JobPhase.Fetch, FailureAction.Stop, 70 },
        { FailureKind.Bug, JobPhase.Deliver, FailureAction.FailItem, 70 },
        { FailureKind.Bug, JobPhase.Run, FailureAction.FailItem, 70 },
        { FailureKind.Bug, JobPhase.Clear, FailureAction.LeaveItem, 70 },
        { FailureKind.Bug, JobPhase.Fail, FailureAction.LeaveItem, 70 },
        { FailureKind.Bug, JobPhase.Push, FailureAction.Stop, 70 },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Every_kind_and_phase_has_its_action_and_exit_code(FailureKind kind, JobPhase phase, FailureAction action, int exitCode) =>
        Assert.Equal(new FailureDecision(action, exitCode), FailurePolicy.Decide(kind, phase));

    [Fact]
    public void The_table_covers_every_cell()
    {
        var cells = Enum.GetValues<FailureKind>().Length * Enum.GetValues<JobPhase>().Length;
        Assert.Equal(cells, Table.Count);
    }

    [Theory]
    [InlineData(JobPhase.Clear, FailureAction.LeaveItem, 75)]
    [InlineData(JobPhase.Fail, FailureAction.LeaveItem, 75)]
    [InlineData(JobPhase.Fetch, FailureAction.Stop, 69)]
    public void Retries_used_up(JobPhase phase, FailureAction action, int exitCode) =>
        Assert.Equal(new FailureDecision(action, exitCode), FailurePolicy.AfterRetries(phase));

    public static TheoryData<Exception, FailureKind> Classified => new()
    {
        { DriverException.Configuration("bad query"), FailureKind.Configuration },
        { DriverException.DataError("not json"), FailureKind.Data },
        { DriverException.Transient("down"), FailureKind.Transient },
        { DriverException.Lost("lease gone"), FailureKind.Lost },
        { new System.Net.Sockets.SocketException(111), FailureKind.Transient },
        { new TimeoutException("slow"), FailureKind.Transient },
        { new IOException("disk"), FailureKind.Transient },
        { new Templating.TemplateException("no field"), FailureKind.Data },
        { new CliException("bad flag"), FailureKind.Configuration },
        { new InvalidOperationException("oops"), FailureKind.Bug },
        { new NullReferenceException(), FailureKind.Bug },
        { new AggregateException(DriverException.DataError("inner")), FailureKind.Data },
    };

    [Theory]
    [MemberData(nameof(Classified))]
    public void Exceptions_are_classified(Exception e, FailureKind kind) => Assert.Equal(kind, Failure.Of(e).Kind);

    [Fact]
    public void A_bug_names_its_type() =>
        Assert.Contains("InvalidOperationException", Failure.Of(new InvalidOperationException("oops")).Message);

    [Fact]
    public void A_translator_recognises_its_library_exceptions_first()
    {
        var failure = Failure.Of(new InvalidOperationException("42P01 undefined table"), new Translator());
        Assert.Equal(FailureKind.Configuration, failure.Kind);
        Assert.Equal("check -psql-clear-query", failure.Message);
    }

    [Fact]
    public void A_host_failure_keeps_its_own_exit_code()
    {
        var failure = Failure.Of(new HostFailureException(FailureKind.Configuration, "no such command", ExitCodes.ChildNotStartable));
        Assert.Equal(new FailureDecision(FailureAction.Stop, 127), failure.Decide(JobPhase.Run));
    }

    [Fact]
    public void Control_characters_are_escaped_onto_one_line() =>
        Assert.Equal("a\\nERROR forged\\x1b[0m", ErrorText.OneLine("a\nERROR forged\u001b[0m"));

    private sealed class Translator : IFailureTranslator
    {
        public DriverException? Translate(Exception error) =>
            error.Message.StartsWith("42P01", StringComparison.Ordinal) ? DriverException.Configuration("check -psql-clear-query") : null;
    }
}
