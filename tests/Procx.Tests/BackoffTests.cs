using Xunit;

namespace Procx.Tests;

public sealed class BackoffTests
{
    [Theory]
    [InlineData(1, 1000)]
    [InlineData(2, 2000)]
    [InlineData(4, 8000)]
    [InlineData(30, 60000)] // capped
    public void Doubles_per_attempt_within_twenty_percent_and_stops_at_the_cap(int attempt, int expectedMs)
    {
        for (var i = 0; i < 50; i++)
        {
            var delay = Backoff.Delay(attempt, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1)).TotalMilliseconds;
            Assert.InRange(delay, expectedMs * 0.8, expectedMs * 1.2);
        }
    }

    [Fact]
    public void No_initial_delay_means_no_delay() =>
        Assert.Equal(TimeSpan.Zero, Backoff.Delay(5, TimeSpan.Zero, TimeSpan.FromMinutes(1)));
}
