# ActiveMQ 5.17 for the activemq (STOMP) tests (sourced by tests/services/start.sh).
# STOMP on 127.0.0.1:61614 and STOMP over TLS on 127.0.0.1:61615 (a self-signed certificate made here);
# OpenWire on 127.0.0.1:61616 only; no MQTT, AMQP or WebSocket connector, no web console (Debian's package
# has no Jetty/Jolokia), JMX off. Exports PROCX_TEST_ACTIVEMQ=127.0.0.1:61614, PROCX_TEST_ACTIVEMQ_TLS
# (host:port), PROCX_TEST_ACTIVEMQ_CA (the PEM certificate to trust) and ACTIVEMQ_RESTART (a command that
# restarts the broker on the same data directory: the e2e restart test uses it).

activemq_packages() { echo "activemq"; }

activemq_npm() { :; }

activemq_start() {
  local port=${PROCX_TEST_ACTIVEMQ_PORT:-61614}
  local tls_port=${PROCX_TEST_ACTIVEMQ_TLS_PORT:-61615}
  local openwire=${PROCX_TEST_ACTIVEMQ_OPENWIRE_PORT:-61616}
  local dir="$SERVICES_ROOT/activemq"
  rm -rf "$dir"; mkdir -p "$dir/conf" "$dir/data" "$dir/tmp"
  cp /etc/activemq/instances-available/main/log4j2.properties "$dir/conf/" 2>/dev/null || true
  openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=127.0.0.1" \
    -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" -keyout "$dir/conf/key.pem" -out "$dir/conf/cert.pem" 2>/dev/null
  openssl pkcs12 -export -in "$dir/conf/cert.pem" -inkey "$dir/conf/key.pem" -name broker \
    -out "$dir/conf/broker.p12" -passout pass:password
  cat > "$dir/conf/activemq.xml" <<EOF
<beans xmlns="http://www.springframework.org/schema/beans" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.springframework.org/schema/beans http://www.springframework.org/schema/beans/spring-beans-2.0.xsd
  http://activemq.apache.org/schema/core http://activemq.apache.org/schema/core/activemq-core.xsd">
  <bean class="org.springframework.beans.factory.config.PropertyPlaceholderConfigurer"/>
  <broker xmlns="http://activemq.apache.org/schema/core" useJmx="false" brokerName="localhost" dataDirectory="$dir/data">
    <persistenceAdapter><kahaDB directory="$dir/data/kahadb"/></persistenceAdapter>
    <sslContext><sslContext keyStore="file:$dir/conf/broker.p12" keyStorePassword="password" keyStoreType="PKCS12"/></sslContext>
    <transportConnectors>
      <transportConnector name="openwire" uri="tcp://127.0.0.1:$openwire"/>
      <transportConnector name="stomp" uri="stomp://127.0.0.1:$port"/>
      <transportConnector name="stomp+ssl" uri="stomp+ssl://127.0.0.1:$tls_port"/>
    </transportConnectors>
  </broker>
</beans>
EOF
  cat > "$dir/run.sh" <<EOF
#!/usr/bin/env bash
exec java -Xms64m -Xmx256m --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/java.util=ALL-UNNAMED \
  --add-opens java.base/java.net=ALL-UNNAMED --add-opens java.base/java.security=ALL-UNNAMED \
  --add-opens java.base/java.util.concurrent=ALL-UNNAMED -Dactivemq.classpath=$dir/conf -Dactivemq.home=/usr/share/activemq \
  -Dactivemq.base=$dir -Dactivemq.conf=$dir/conf -Dactivemq.data=$dir/data -Djava.io.tmpdir=$dir/tmp \
  -jar /usr/share/activemq/bin/activemq.jar start xbean:file:$dir/conf/activemq.xml
EOF
  chmod +x "$dir/run.sh"
  "$dir/run.sh" >> "$dir/activemq.log" 2>&1 &
  remember_pid activemq $!
  echo $! > "$dir/pid"
  # The restart command the e2e test runs: kill the broker (SIGKILL, as a crash), start it again on the same data.
  cat > "$dir/restart.sh" <<EOF
#!/usr/bin/env bash
set -e
kill -9 \$(cat $dir/pid) 2>/dev/null || true
while kill -0 \$(cat $dir/pid) 2>/dev/null; do sleep 0.1; done
$dir/run.sh >> $dir/activemq.log 2>&1 &
echo \$! > $dir/pid
echo \$! >> $SERVICES_ROOT/activemq.pids
EOF
  chmod +x "$dir/restart.sh"
  wait_for "activemq STOMP on $port" 60 bash -c "printf 'CONNECT\naccept-version:1.2\nhost:/\n\n\0' | timeout 2 python3 -c \"
import socket,sys
s=socket.create_connection(('127.0.0.1',$port),2); s.sendall(sys.stdin.buffer.read()); sys.exit(0 if s.recv(9).startswith(b'CONNECTED') else 1)\""
  echo "export PROCX_TEST_ACTIVEMQ=127.0.0.1:$port" >> "$SERVICES_ENV"
  echo "export PROCX_TEST_ACTIVEMQ_TLS=127.0.0.1:$tls_port" >> "$SERVICES_ENV"
  echo "export PROCX_TEST_ACTIVEMQ_CA=$dir/conf/cert.pem" >> "$SERVICES_ENV"
  echo "export ACTIVEMQ_RESTART=$dir/restart.sh" >> "$SERVICES_ENV"
}
