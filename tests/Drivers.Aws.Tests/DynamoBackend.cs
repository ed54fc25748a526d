using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Drivers.Conformance;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;

namespace Drivers.Aws.Tests;

/// <summary>
/// Where the DynamoDB tests run: PROCX_TEST_DYNAMO (a DynamoDB Local or LocalStack URL), else DynamoDB Local in
/// a Testcontainers container where Docker is there, else the in-process wire-level fake. Each test gets its
/// own table with a string hash key ("id" unless told).
/// </summary>
internal sealed class DynamoBackend : IAsyncDisposable
{
    private static readonly SemaphoreSlim ContainerGate = new(1, 1);
    private static IContainer? _container;

    private readonly FakeDynamoDb? _fake;

    private DynamoBackend(string endpoint, FakeDynamoDb? fake)
    {
        Endpoint = endpoint;
        _fake = fake;
        Client = new AmazonDynamoDBClient(AwsTestServices.Credentials, new AmazonDynamoDBConfig { ServiceURL = endpoint, AuthenticationRegion = "us-east-1" });
    }

    public string Endpoint { get; }

    public AmazonDynamoDBClient Client { get; }

    public string Table { get; private set; } = "";

    public static async Task<DynamoBackend> CreateAsync(string hashKey = "id")
    {
        _ = AwsTestServices.Registry; // sets the emulator credentials for the drivers' credential chain
        DynamoBackend backend;
        if (Environment.GetEnvironmentVariable("PROCX_TEST_DYNAMO") is { Length: > 0 } url)
        {
            TestServices.Announce("dynamodb", $"real emulator at {url} (PROCX_TEST_DYNAMO)");
            backend = new DynamoBackend(url, null);
        }
        else if (TestServices.DockerAvailable)
        {
            var endpoint = await StartContainerAsync();
            TestServices.Announce("dynamodb", $"DynamoDB Local (Testcontainers) at {endpoint}");
            backend = new DynamoBackend(endpoint, null);
        }
        else
        {
            var fake = await FakeDynamoDb.StartAsync();
            TestServices.Announce("dynamodb", $"wire-level fake at {fake.Endpoint} (no PROCX_TEST_DYNAMO, no Docker)");
            backend = new DynamoBackend(fake.Endpoint, fake);
        }
        await backend.CreateTableAsync(AwsTestServices.UniqueName("jobs"), hashKey);
        return backend;
    }

    public async Task PutAsync(string itemJson) =>
        await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Statement = $"INSERT INTO \"{Table}\" VALUE {itemJson}" });

    public async Task<List<Dictionary<string, AttributeValue>>> ScanAsync()
    {
        var items = new List<Dictionary<string, AttributeValue>>();
        string? token = null;
        do
        {
            var page = await Client.ExecuteStatementAsync(new ExecuteStatementRequest { Statement = $"SELECT * FROM \"{Table}\"", NextToken = token });
            items.AddRange(page.Items ?? []);
            token = page.NextToken;
        }
        while (token is not null);
        return items;
    }

    public Dictionary<string, string> Flags(params (string Name, string Value)[] more)
    {
        var flags = new Dictionary<string, string> { ["aws-endpoint-url"] = Endpoint };
        foreach (var (name, value) in more)
        {
            flags[name] = value.Replace("$TABLE", Table, StringComparison.Ordinal);
        }
        return flags;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (_fake is not null)
        {
            await _fake.DisposeAsync();
        }
    }

    private async Task CreateTableAsync(string name, string hashKey)
    {
        Table = name;
        if (_fake is not null)
        {
            _fake.CreateTable(name, hashKey);
            return;
        }
        await Client.CreateTableAsync(new CreateTableRequest
        {
            TableName = name,
            KeySchema = [new KeySchemaElement(hashKey, KeyType.HASH)],
            AttributeDefinitions = [new AttributeDefinition(hashKey, ScalarAttributeType.S)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
        });
    }

    private static async Task<string> StartContainerAsync()
    {
        await ContainerGate.WaitAsync();
        try
        {
            if (_container is null)
            {
                var container = new ContainerBuilder("amazon/dynamodb-local:2.5.4")
                    .WithCommand("-jar", "DynamoDBLocal.jar", "-inMemory", "-sharedDb")
                    .WithPortBinding(8000, true)
                    .WithWaitStrategy(Wait.ForUnixContainer().UntilInternalTcpPortIsAvailable(8000))
                    .Build();
                await container.StartAsync();
                _container = container;
            }
            return $"http://{_container.Hostname}:{_container.GetMappedPublicPort(8000)}";
        }
        finally
        {
            ContainerGate.Release();
        }
    }
}
