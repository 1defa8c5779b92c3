// Starts dynalite (in memory) on 127.0.0.1 at a free port for pkg/state's
// tests, prints "listening <port>" once it accepts connections, and exits
// when its stdin closes (the test ended) or on SIGTERM.
const dynalite = require('dynalite')
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
server.listen(0, '127.0.0.1', () => {
  process.stdout.write('listening ' + server.address().port + '\n')
})
process.stdin.on('end', () => process.exit(0))
process.stdin.resume()
process.on('SIGTERM', () => process.exit(0))
