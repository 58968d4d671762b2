package explain

import "github.com/tcpemu/tcpemu/emulator/tcp"

// ruleText holds each rule's explanation, [English, Korean].
var ruleText = [tcp.NumRules][numLangs]string{}
