using Xunit;

namespace Drivers.Conformance;

/// <summary>
/// Finds the real services tests talk to. Each is named by an env var (e.g. PROCX_TEST_REDIS=127.0.0.1:16379),
/// set by tests/services/start.sh. When it is unset the test is skipped with the reason shown, unless
/// PROCX_TEST_REQUIRE_SERVICES=1 (set by .ci/run), which turns the skip into a failure so CI can never pass
/// without having run against the real thing. Drivers that can also start their service with Testcontainers
/// pass a <paramref name="startContainer"/> that is tried when Docker is there.
/// </summary>
public static class TestServices
{
    public static bool RequireAll => Environment.GetEnvironmentVariable("PROCX_TEST_REQUIRE_SERVICES") is "1" or "true";

    /// <summary>The service address from <paramref name="envVar"/>, or a skip/failure saying how to get one.</summary>
    public static string Require(string envVar, string what)
    {
        var value = Environment.GetEnvironmentVariable(envVar);
        if (!string.IsNullOrEmpty(value))
        {
            return value;
        }
        var reason = $"{what} not available: set {envVar} (tests/services/start.sh does) or run where Docker is available";
        if (RequireAll)
        {
            Assert.Fail(reason + " — PROCX_TEST_REQUIRE_SERVICES=1 forbids skipping");
        }
        Assert.Skip(reason);
        return ""; // not reached
    }

    /// <summary>True when a Docker engine answers (Testcontainers can run the real service).</summary>
    public static bool DockerAvailable =>
        File.Exists("/var/run/docker.sock") || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST"));

    /// <summary>Tells the test output which backend ran, as the standards ask.</summary>
    public static void Announce(string service, string backend) =>
        TestContext.Current.SendDiagnosticMessage($"[backend] {service}: {backend}");

    /// <summary>
    /// The same for a fake standing in for the provider (a test double of its wire protocol). Only a test
    /// whose class name says Fake uses one, and only where no real server runs here; never as a fallback
    /// for a real server that is missing.
    /// </summary>
    public static void AnnounceFake(string service, string fake) =>
        TestContext.Current.SendDiagnosticMessage($"[backend] {service}: fake — {fake}");
}
