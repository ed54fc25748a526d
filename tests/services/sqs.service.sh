# local-aws-sqs 2.0 (npm): an SQS emulator speaking the JSON protocol of AWSSDK.SQS v4, on 127.0.0.1:19324.
# It is a library, so a few lines of node start it. Tests create their own queue per test.
sqs_packages() { command -v npm >/dev/null || echo nodejs npm; }
sqs_npm() { echo local-aws-sqs@2.0.2; }
sqs_start() {
  local dir="$SERVICES_ROOT/sqs" port=19324
  rm -rf "$dir"; mkdir -p "$dir"
  # local-aws-sqs answers an empty ReceiveMessage with an empty body where SQS sends {}; AWSSDK.SQS v4
  # cannot parse an empty body, so this wrapper sends {} for empty JSON-protocol answers.
  cat > "$dir/server.js" <<JS
const http = require("http");
const { createRequestHandler } = require("$SERVICES_ROOT/npm/node_modules/local-aws-sqs");
const { requestHandler, service } = createRequestHandler({ port: $port, hostname: "127.0.0.1", emulateQueueCreationLifecycle: false });
http.createServer((req, res) => {
  const end = res.end.bind(res);
  res.end = (chunk, ...rest) => {
    const json = req.headers["content-type"] === "application/x-amz-json-1.0";
    return end(json && res.statusCode === 200 && (chunk === undefined || chunk === "") ? "{}" : chunk, ...rest);
  };
  requestHandler(req, res);
}).listen($port, "127.0.0.1", () => { service.PORT = $port; console.log("local-aws-sqs listening on $port"); });
JS
  node "$dir/server.js" > "$dir/log" 2>&1 &
  remember_pid sqs $!
  wait_for "local-aws-sqs" 30 curl -sf -X POST -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: AmazonSQS.ListQueues' -d '{}' "http://127.0.0.1:$port/"
  echo "export PROCX_TEST_SQS=http://127.0.0.1:$port" >> "$SERVICES_ENV"
}
