using System.Security.Cryptography;
using Drivers.Core.Contracts;
using Xunit;

namespace Drivers.Conformance;

/// <summary>What every sink driver must do, run against its real server or emulator.</summary>
public abstract class SinkConformanceTests
{
    protected abstract Task<ISinkHarness> CreateHarnessAsync();

    protected virtual int LargePayloadBytes => 16 * 1024 * 1024;

    /// <summary>False for sinks that transform their input (SQL/BigQuery templates) and so cannot store raw bytes.</summary>
    protected virtual bool StoresRawBytes => true;

    [Fact]
    public async Task Pushed_json_arrives()
    {
        await using var harness = await CreateHarnessAsync();
        await using var sink = harness.CreateSink();
        var payload = "{\"id\":1,\"name\":\"John\",\"address\":{\"street\":\"123 Main St\"}}"u8.ToArray();
        await sink.PushAsync(Payload.FromBytes(payload), TestContext.Current.CancellationToken);
        var received = await harness.ReceivedAsync(1);
        Assert.Single(received);
        harness.AssertDelivered(payload, received[0]);
    }

    [Fact]
    public async Task Binary_payload_arrives_byte_exact()
    {
        if (!StoresRawBytes)
        {
            Assert.Skip("this sink renders templates from JSON and stores no raw bytes");
        }
        await using var harness = await CreateHarnessAsync();
        await using var sink = harness.CreateSink();
        var payload = Enumerable.Range(0, 256).Select(i => (byte)i).Concat(new byte[] { 0, 0xff, 0xc3, 0x28 }).ToArray();
        await sink.PushAsync(Payload.FromBytes(payload), TestContext.Current.CancellationToken);
        var received = await harness.ReceivedAsync(1);
        Assert.Equal(payload, Assert.Single(received));
    }

    [Fact]
    public async Task Large_streamed_payload_arrives_intact()
    {
        if (!StoresRawBytes)
        {
            Assert.Skip("this sink renders templates from JSON and stores no raw bytes");
        }
        await using var harness = await CreateHarnessAsync();
        await using var sink = harness.CreateSink();
        var payload = RandomNumberGenerator.GetBytes(LargePayloadBytes);
        // A single-use stream, as pushx hands over stdin: the sink must not need to read it twice.
        await sink.PushAsync(Payload.FromStream(new MemoryStream(payload), payload.Length), TestContext.Current.CancellationToken);
        var received = await harness.ReceivedAsync(1);
        Assert.Equal(SHA256.HashData(payload), SHA256.HashData(Assert.Single(received)));
    }

    [Fact]
    public async Task Pushes_arrive_in_order_and_apart()
    {
        await using var harness = await CreateHarnessAsync();
        await using var sink = harness.CreateSink();
        var payloads = Enumerable.Range(1, 5).Select(i => System.Text.Encoding.UTF8.GetBytes($"{{\"id\":{i},\"name\":\"n{i}\"}}")).ToList();
        foreach (var payload in payloads)
        {
            await sink.PushAsync(Payload.FromBytes(payload), TestContext.Current.CancellationToken);
        }
        var received = await harness.ReceivedAsync(payloads.Count);
        Assert.Equal(payloads.Count, received.Count);
        for (var i = 0; i < payloads.Count; i++)
        {
            harness.AssertDelivered(payloads[i], received[i]);
        }
    }
}

/// <summary>A driver's window on one isolated sink target, for the conformance suite.</summary>
public interface ISinkHarness : IAsyncDisposable
{
    ISinkDriver CreateSink();

    /// <summary>What arrived, read with the provider's own client, in arrival order; waits for <paramref name="expected"/> items.</summary>
    Task<IReadOnlyList<byte[]>> ReceivedAsync(int expected);

    /// <summary>Asserts that <paramref name="received"/> is what pushing <paramref name="pushed"/> should store (byte-equal by default).</summary>
    void AssertDelivered(byte[] pushed, byte[] received) => Assert.Equal(pushed, received);
}
