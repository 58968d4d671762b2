package demo

import (
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	pb "github.com/tcpemu/tcpemu/gen/tcpemu/v1"
)

// A topic is one demo: its steps, in English and Korean ([0] and [1]).
// The seed's notes are the story; where they err, the narration says what
// RFC 9293 says instead (DESIGN.md, "Seed errata").
type topic struct {
	name  string
	title [2]string // the demo's heading
	short [2]string // one line for `emuctl demo`
	// columns order the ladder's lifelines.
	columns []string
	// poke is a command to try afterwards; %s is the session ID.
	poke string
	// overrides change the rfc9293 profile for this demo.
	overrides *pb.ProfileOverrides
	steps     []step
}

type step struct {
	title [2]string
	say   [2]string
	ops   []op
}

// session is the demo's session: seed 1, so the same demo shows the same
// numbers every time.
func (t *topic) session() *pb.Session {
	return &pb.Session{Seed: 1, ProfileOverrides: t.overrides}
}

// The addresses every demo uses.
const (
	clientAddr = "10.0.0.1:40000"
	serverAddr = "10.0.0.2:80"
)

// handshakeOps make an established connection between client and the
// server's first child, server-1 (the path delay is 10 ms each way).
var handshakeOps = []op{
	create("server", serverAddr), create("client", clientAddr), listen("server"),
	connect("client", serverAddr), advance(100 * time.Millisecond),
}

var stepHandshake = step{
	title: [2]string{"A connection", "연결 하나"},
	say: [2]string{
		"First the three-way handshake (emuctl demo handshake shows it step by step): the server listens, " +
			"the client connects, and after SYN, SYN,ACK and ACK the client and server-1 — the connection " +
			"the listener forked — are both ESTABLISHED.",
		"먼저 3-way handshake입니다(emuctl demo handshake에서 단계별로 볼 수 있습니다). 서버가 LISTEN하고 " +
			"클라이언트가 연결하면 SYN, SYN,ACK, ACK를 거쳐 클라이언트와 server-1(리스너가 만든 연결)이 " +
			"모두 ESTABLISHED가 됩니다.",
	},
	ops: handshakeOps,
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func ptr[T any](v T) *T { return &v }

var topics = []topic{
	{
		name:    "handshake",
		title:   [2]string{"The three-way handshake (RFC 9293 §3.5)", "3-way handshake: 연결 수립 (RFC 9293 §3.5)"},
		short:   [2]string{"3-way handshake: SYN, SYN,ACK, ACK; LISTEN → SYN-RECEIVED → ESTABLISHED", "3-way handshake: SYN, SYN,ACK, ACK와 LISTEN → SYN-RECEIVED → ESTABLISHED"},
		columns: []string{"client", "server"},
		poke:    "endpoint get %s/server-1",
		steps: []step{{
			title: [2]string{"The server listens", "서버가 대기합니다"},
			say: [2]string{
				"Before anyone can connect, a server must be ready: its application makes a passive OPEN and " +
					"the endpoint goes from CLOSED to LISTEN (RFC 9293 §3.10.1). It sends nothing; it waits " +
					"for a SYN from any remote socket.",
				"누군가 연결하려면 서버가 먼저 준비되어 있어야 합니다. 서버 애플리케이션이 수동 OPEN(passive " +
					"OPEN)을 호출하면 엔드포인트는 CLOSED에서 LISTEN이 됩니다(RFC 9293 §3.10.1). 아무것도 " +
					"보내지 않고 어느 원격 소켓에서든 SYN이 오기를 기다립니다.",
			},
			ops: []op{create("server", serverAddr), create("client", clientAddr), listen("server")},
		}, {
			title: [2]string{"The client sends a SYN", "클라이언트가 SYN을 보냅니다"},
			say: [2]string{
				"The client makes an active OPEN: TCP picks an initial send sequence number (ISS), sends a " +
					"SYN carrying it and enters SYN-SENT. The SYN occupies one sequence number. The ladder " +
					"counts each direction's numbers from its SYN, so the SYN shows seq=0 (--absolute shows " +
					"them as on the wire).",
				"클라이언트가 능동 OPEN(active OPEN)을 호출합니다. TCP는 초기 송신 시퀀스 번호(ISS)를 정해 " +
					"SYN에 실어 보내고 SYN-SENT 상태가 됩니다. SYN은 시퀀스 번호 하나를 차지합니다. 래더는 " +
					"방향마다 SYN부터 번호를 세므로 SYN이 seq=0으로 보입니다(--absolute를 주면 실제 번호).",
			},
			ops: []op{connect("client", serverAddr)},
		}, {
			title: [2]string{"The SYN arrives; the server answers SYN,ACK", "SYN 도착, 서버가 SYN,ACK로 답합니다"},
			say: [2]string{
				"10 ms later the SYN reaches the listener. It forks a new connection, server-1, which goes " +
					"LISTEN → SYN-RECEIVED and answers with one segment that does two jobs: ACK acknowledges " +
					"the client's SYN (ack=1, its SEQ plus one, because a SYN counts as one) and SYN announces " +
					"the server's own ISS. The listener stays in LISTEN for the next client. The seed's notes " +
					"say the client is CLOSED at this point: it is not, it is still in SYN-SENT, waiting.",
				"10ms 뒤 SYN이 리스너에 도착합니다. 리스너는 새 연결 server-1을 만들고, server-1은 LISTEN → " +
					"SYN-RECEIVED가 되어 세그먼트 하나로 두 가지 일을 합니다. ACK는 클라이언트의 SYN을 확인하고" +
					"(ack=1: SYN도 1로 세므로 SEQ+1), SYN은 서버 자신의 ISS를 알립니다. 리스너는 다음 " +
					"클라이언트를 위해 LISTEN에 남습니다. 시드 노트에는 이때 클라이언트가 CLOSED라고 되어 " +
					"있지만, 사실은 여전히 SYN-SENT에서 기다리는 중입니다.",
			},
			ops: []op{advance(ms(10))},
		}, {
			title: [2]string{"The SYN,ACK arrives; the client is ESTABLISHED", "SYN,ACK 도착, 클라이언트는 ESTABLISHED"},
			say: [2]string{
				"The SYN,ACK reaches the client. Its ACK covers the client's SYN, so the client enters " +
					"ESTABLISHED and sends the third segment: an ACK of the server's SYN (ack=1, the server's " +
					"SEQ plus one). From here the client may send data, even on this very ACK.",
				"SYN,ACK가 클라이언트에 도착합니다. ACK가 클라이언트의 SYN을 확인하므로 클라이언트는 " +
					"ESTABLISHED가 되고 세 번째 세그먼트, 서버 SYN에 대한 ACK(ack=1: 서버의 SEQ+1)를 " +
					"보냅니다. 이제부터 클라이언트는 데이터를 보낼 수 있고, 이 ACK에 실어 보낼 수도 있습니다.",
			},
			ops: []op{advance(ms(10))},
		}, {
			title: [2]string{"The ACK arrives; both sides are ESTABLISHED", "ACK 도착, 양쪽 모두 ESTABLISHED"},
			say: [2]string{
				"The ACK reaches server-1: SYN-RECEIVED → ESTABLISHED. Each side has announced its initial " +
					"sequence number and seen it acknowledged. That is four things to say, in three segments, " +
					"because the server's ACK and SYN travel together.",
				"ACK가 server-1에 도착해 SYN-RECEIVED → ESTABLISHED가 됩니다. 양쪽 모두 자기 초기 시퀀스 " +
					"번호를 알리고 확인을 받았습니다. 할 말은 넷(SYN, ACK, SYN, ACK)이지만 서버의 ACK와 SYN이 " +
					"한 세그먼트에 함께 실려 세 번으로 끝납니다.",
			},
			ops: []op{advance(ms(10))},
		}},
	},
	{
		name:    "close",
		title:   [2]string{"The four-way close (RFC 9293 §3.6)", "4-way handshake: 연결 종료 (RFC 9293 §3.6)"},
		short:   [2]string{"4-way close: FIN, ACK, FIN, ACK; FIN-WAIT-1/2, CLOSE-WAIT, LAST-ACK, TIME-WAIT", "4-way 종료: FIN, ACK, FIN, ACK와 FIN-WAIT-1/2, CLOSE-WAIT, LAST-ACK, TIME-WAIT"},
		columns: []string{"client", "server"},
		poke:    "endpoint get %s/client",
		steps: []step{stepHandshake, {
			title: [2]string{"The client closes: FIN", "클라이언트가 닫습니다: FIN"},
			say: [2]string{
				"The client's application calls CLOSE: it has nothing more to send. TCP sends a FIN and the " +
					"client enters FIN-WAIT-1. Like a SYN, a FIN occupies one sequence number.",
				"클라이언트 애플리케이션이 CLOSE를 호출합니다. 더 보낼 데이터가 없다는 뜻입니다. TCP는 FIN을 " +
					"보내고 FIN-WAIT-1 상태가 됩니다. SYN처럼 FIN도 시퀀스 번호 하나를 차지합니다.",
			},
			ops: []op{closeEndpoint("client")},
		}, {
			title: [2]string{"The FIN arrives: CLOSE-WAIT", "FIN 도착: CLOSE-WAIT"},
			say: [2]string{
				"server-1 receives the FIN, acknowledges it (ack = the FIN's SEQ plus one) and enters " +
					"CLOSE-WAIT, telling its application \"connection closing\". The seed's notes put the " +
					"receiver of the first FIN in TIME-WAIT; RFC 9293 puts it in CLOSE-WAIT, where it may " +
					"still send and waits for its own application to close.",
				"server-1이 FIN을 받아 확인하고(ack = FIN의 SEQ+1) CLOSE-WAIT 상태가 되어 애플리케이션에 " +
					"\"connection closing\"을 알립니다. 시드 노트는 먼저 FIN을 받은 쪽이 TIME-WAIT가 된다고 " +
					"하지만, RFC 9293에서는 CLOSE-WAIT입니다. 이 상태에서도 데이터를 보낼 수 있고, 자기 " +
					"애플리케이션이 닫기를 기다립니다.",
			},
			ops: []op{advance(ms(10))},
		}, {
			title: [2]string{"The ACK arrives: FIN-WAIT-2", "ACK 도착: FIN-WAIT-2"},
			say: [2]string{
				"The ACK of its FIN reaches the client: FIN-WAIT-1 → FIN-WAIT-2. The seed's one \"FIN-WAIT\" " +
					"is two states: FIN-WAIT-1 waits for the ACK of our FIN, FIN-WAIT-2 for the peer's FIN.",
				"자기 FIN에 대한 ACK가 클라이언트에 도착해 FIN-WAIT-1 → FIN-WAIT-2가 됩니다. 시드 노트의 " +
					"\"FIN-WAIT\"는 사실 두 상태입니다. FIN-WAIT-1은 내 FIN의 ACK를, FIN-WAIT-2는 상대의 FIN을 " +
					"기다립니다.",
			},
			ops: []op{advance(ms(10))},
		}, {
			title: [2]string{"The server closes: FIN", "서버가 닫습니다: FIN"},
			say: [2]string{
				"server-1's application closes too: TCP sends its FIN and enters LAST-ACK, waiting for that " +
					"FIN to be acknowledged.",
				"server-1의 애플리케이션도 CLOSE를 호출합니다. TCP는 FIN을 보내고 LAST-ACK 상태가 되어 그 " +
					"FIN에 대한 ACK를 기다립니다.",
			},
			ops: []op{closeEndpoint("server-1")},
		}, {
			title: [2]string{"The last ACK: TIME-WAIT and CLOSED", "마지막 ACK: TIME-WAIT와 CLOSED"},
			say: [2]string{
				"The client receives the FIN, acknowledges it and enters TIME-WAIT; that final ACK reaches " +
					"server-1, which goes LAST-ACK → CLOSED. Four segments, FIN, ACK, FIN, ACK: each " +
					"direction is closed on its own.",
				"클라이언트는 FIN을 받아 확인하고 TIME-WAIT가 됩니다. 그 마지막 ACK가 server-1에 도착하면 " +
					"LAST-ACK → CLOSED입니다. FIN, ACK, FIN, ACK 네 세그먼트: 방향마다 따로 닫습니다.",
			},
			ops: []op{advance(ms(20))},
		}, {
			title: [2]string{"TIME-WAIT ends after 2×MSL", "2×MSL 뒤 TIME-WAIT가 끝납니다"},
			say: [2]string{
				"The client stays in TIME-WAIT for twice the maximum segment lifetime: 2 × 120 s = 240 s " +
					"in the rfc9293 profile (the linux profile waits 60 s). Then the timer fires and the " +
					"client is CLOSED. Why wait at all? emuctl demo time-wait shows both reasons.",
				"클라이언트는 최대 세그먼트 수명의 두 배 동안 TIME-WAIT에 머뭅니다. rfc9293 프로파일에서 " +
					"2 × 120초 = 240초입니다(linux 프로파일은 60초). 그 뒤 타이머가 만료되어 CLOSED가 됩니다. " +
					"왜 기다리는지는 emuctl demo time-wait에서 두 가지 이유를 보여 줍니다.",
			},
			ops: []op{advance(241 * time.Second)},
		}},
	},
	{
		name:    "time-wait",
		title:   [2]string{"Why TIME-WAIT exists (RFC 9293 §3.6.1)", "TIME-WAIT는 왜 있을까 (RFC 9293 §3.6.1)"},
		short:   [2]string{"TIME-WAIT's two reasons: a lost final ACK sent again, an old duplicate absorbed", "TIME-WAIT의 두 이유: 잃어버린 마지막 ACK의 재전송, 오래된 중복 세그먼트 흡수"},
		columns: []string{"client", "server"},
		poke:    "fault list %s",
		// RFC 1337: the listener answers the client's ACK of the old
		// duplicate with a RST, which would otherwise end TIME-WAIT early
		// ("TIME-WAIT assassination").
		overrides: &pb.ProfileOverrides{Rfc1337: ptr(true)},
		steps: []step{stepHandshake, {
			title: [2]string{"Data, and a copy the network holds back", "데이터, 그리고 네트워크에 붙잡힌 사본"},
			say: [2]string{
				"A fault rule (late-data) holds server-1's next data segment in the network for 60 s. " +
					"server-1 sends \"hello\"; its retransmission timer fires after 1 s (RFC 6298), the " +
					"retransmitted copy gets through and the client acknowledges it. The first copy is " +
					"still in the network: an old duplicate in the making.",
				"장애 규칙(late-data)이 server-1의 다음 데이터 세그먼트를 네트워크에 60초 동안 붙잡아 둡니다. " +
					"server-1이 \"hello\"를 보내면 1초 뒤 재전송 타이머가 만료되고(RFC 6298) 재전송한 사본이 " +
					"도착해 클라이언트가 확인합니다. 처음 보낸 세그먼트는 아직 네트워크 안에 있습니다. " +
					"오래된 중복 세그먼트가 될 녀석입니다.",
			},
			ops: []op{
				fault("late-data", &pb.FaultRule{
					Match:  &pb.FaultMatch{Src: address(serverAddr), PayloadLengthMin: ptr(uint32(1))},
					Action: &pb.FaultRule_Delay{Delay: &pb.FaultDelay{Delay: durationpb.New(60 * time.Second)}},
				}),
				send("server-1", "hello"), advance(1500 * time.Millisecond),
			},
		}, {
			title: [2]string{"The client closes first", "클라이언트가 먼저 닫습니다"},
			say: [2]string{
				"The client closes: FIN, server-1 acknowledges it and enters CLOSE-WAIT, the client moves " +
					"to FIN-WAIT-2. The side that closes first is the one that will wait in TIME-WAIT.",
				"클라이언트가 닫습니다. FIN을 보내면 server-1이 확인하고 CLOSE-WAIT가 되며, 클라이언트는 " +
					"FIN-WAIT-2로 갑니다. 먼저 닫은 쪽이 나중에 TIME-WAIT에서 기다리게 됩니다.",
			},
			ops: []op{closeEndpoint("client"), advance(ms(20))},
		}, {
			title: [2]string{"The final ACK is lost", "마지막 ACK를 잃어버립니다"},
			say: [2]string{
				"A second rule (lost-ack) drops the client's next bare ACK. server-1 closes: FIN, LAST-ACK. " +
					"The client enters TIME-WAIT and acknowledges the FIN, but that final ACK is lost: " +
					"server-1 is left in LAST-ACK, not knowing whether its FIN arrived.",
				"두 번째 규칙(lost-ack)이 클라이언트의 다음 순수 ACK를 버립니다. server-1이 닫아 FIN을 " +
					"보내고 LAST-ACK가 됩니다. 클라이언트는 TIME-WAIT가 되어 FIN을 확인하지만 그 마지막 ACK가 " +
					"사라집니다. server-1은 자기 FIN이 도착했는지 모른 채 LAST-ACK에 남습니다.",
			},
			ops: []op{
				fault("lost-ack", &pb.FaultRule{
					Match:  &pb.FaultMatch{Src: address(clientAddr), Flags: &pb.Flags{Ack: true}},
					Action: &pb.FaultRule_Drop{Drop: &pb.FaultDrop{}},
				}),
				closeEndpoint("server-1"), advance(ms(20)),
			},
		}, {
			title: [2]string{"Reason one: the FIN comes again", "첫째 이유: FIN이 다시 옵니다"},
			say: [2]string{
				"server-1's retransmission timer fires and its FIN comes again. The client is still in " +
					"TIME-WAIT, remembers the connection, acknowledges the FIN once more and restarts its " +
					"2×MSL wait; server-1 gets its ACK and closes cleanly. Had the client gone straight to " +
					"CLOSED, the FIN would have met a closed port and a RST, and server-1 would have seen " +
					"an error instead of a clean close. (The seed's notes say TIME-WAIT avoids a deadlock: " +
					"it is this, and the next step.)",
				"server-1의 재전송 타이머가 만료되어 FIN이 다시 옵니다. 클라이언트는 아직 TIME-WAIT에서 " +
					"연결을 기억하고 있으므로 FIN을 다시 확인하고 2×MSL 대기를 새로 시작합니다. server-1은 " +
					"ACK를 받고 깔끔하게 닫힙니다. 클라이언트가 바로 CLOSED였다면 FIN은 닫힌 포트에서 RST를 " +
					"받았을 것이고, server-1은 정상 종료 대신 오류를 보았을 것입니다. (시드 노트는 교착 " +
					"상태를 피하려고 TIME-WAIT가 있다고 하지만, 실제 이유는 이것과 다음 단계입니다.)",
			},
			ops: []op{advance(2 * time.Second)},
		}, {
			title: [2]string{"Reason two: an old duplicate dies out", "둘째 이유: 오래된 중복 세그먼트가 사라집니다"},
			say: [2]string{
				"60 s after it was sent, the held-back \"hello\" finally arrives. Its sequence numbers " +
					"are old (below RCV.NXT): the client, still in TIME-WAIT, knows them for what they are, " +
					"discards the segment and answers with an ACK of where it really is. The listener " +
					"answers that ACK with a RST, which TIME-WAIT ignores (RFC 1337, on in this demo). Had " +
					"a new connection on the same address pair started instead, the old bytes could have " +
					"landed in its window and been taken as its data: TIME-WAIT keeps the pair busy until " +
					"old duplicates have died out.",
				"보낸 지 60초 뒤 붙잡혀 있던 \"hello\"가 드디어 도착합니다. 시퀀스 번호가 이미 지난 " +
					"것(RCV.NXT보다 작음)이므로 아직 TIME-WAIT인 클라이언트는 오래된 세그먼트임을 알아보고 " +
					"버린 뒤 현재 위치를 알리는 ACK로 답합니다. 리스너는 그 ACK에 RST로 답하지만 TIME-WAIT는 " +
					"이를 무시합니다(RFC 1337, 이 데모에서 켬). 같은 주소 쌍으로 새 연결이 이미 시작되었다면 " +
					"오래된 바이트가 새 연결의 윈도 안에 떨어져 그 데이터로 받아들여질 수 있었습니다. " +
					"TIME-WAIT는 오래된 중복 세그먼트가 사라질 때까지 그 주소 쌍을 붙잡아 둡니다.",
			},
			ops: []op{advance(60 * time.Second)},
		}, {
			title: [2]string{"TIME-WAIT ends", "TIME-WAIT가 끝납니다"},
			say: [2]string{
				"2×MSL (240 s) after the last FIN it acknowledged, the client's TIME-WAIT timer fires: " +
					"CLOSED, and the address pair is free again.",
				"마지막으로 FIN을 확인한 뒤 2×MSL(240초)이 지나 클라이언트의 TIME-WAIT 타이머가 만료됩니다. " +
					"CLOSED가 되고 이 주소 쌍을 다시 쓸 수 있습니다.",
			},
			ops: []op{advance(241 * time.Second)},
		}},
	},
	{
		name:    "simultaneous-open",
		title:   [2]string{"Simultaneous open (RFC 9293 §3.5, Figure 8)", "동시 열기 (RFC 9293 §3.5, 그림 8)"},
		short:   [2]string{"both sides send a SYN at once: SYN-SENT → SYN-RECEIVED → ESTABLISHED, no listener", "양쪽이 동시에 SYN: 리스너 없이 SYN-SENT → SYN-RECEIVED → ESTABLISHED"},
		columns: []string{"a", "b"},
		poke:    "endpoint get %s/a",
		steps: []step{{
			title: [2]string{"a sends a SYN", "a가 SYN을 보냅니다"},
			say: [2]string{
				"Two endpoints, a and b, and no listener: each will actively open a connection to the " +
					"other. a goes first: SYN, SYN-SENT.",
				"엔드포인트 a와 b가 있고 리스너는 없습니다. 둘 다 상대에게 능동 OPEN을 합니다. 먼저 a가 " +
					"SYN을 보내고 SYN-SENT가 됩니다.",
			},
			ops: []op{create("a", "10.0.0.1:7000"), create("b", "10.0.0.2:7000"), connect("a", "10.0.0.2:7000")},
		}, {
			title: [2]string{"b sends a SYN before a's arrives", "a의 SYN이 도착하기 전에 b도 SYN을 보냅니다"},
			say: [2]string{
				"At the same instant b opens towards a: its own SYN, SYN-SENT. Both SYNs are now in the " +
					"network, crossing.",
				"같은 순간 b도 a에게 능동 OPEN을 해 SYN을 보내고 SYN-SENT가 됩니다. 두 SYN이 네트워크에서 " +
					"서로 엇갈립니다.",
			},
			ops: []op{connect("b", "10.0.0.1:7000")},
		}, {
			title: [2]string{"The SYNs cross: SYN-RECEIVED", "SYN이 엇갈려 도착: SYN-RECEIVED"},
			say: [2]string{
				"Each SYN arrives at an endpoint in SYN-SENT. A SYN without an ACK there means \"the peer " +
					"is opening too\" (RFC 9293 §3.10.7.3): each side enters SYN-RECEIVED and sends a SYN,ACK " +
					"that repeats its own SYN and acknowledges the peer's.",
				"각 SYN이 SYN-SENT 상태의 엔드포인트에 도착합니다. 거기서 ACK 없는 SYN은 \"상대도 열고 " +
					"있다\"는 뜻입니다(RFC 9293 §3.10.7.3). 양쪽 모두 SYN-RECEIVED가 되어 자기 SYN을 다시 " +
					"싣고 상대 SYN을 확인하는 SYN,ACK를 보냅니다.",
			},
			ops: []op{advance(ms(10))},
		}, {
			title: [2]string{"The SYN,ACKs cross: ESTABLISHED", "SYN,ACK가 엇갈려 도착: ESTABLISHED"},
			say: [2]string{
				"Each SYN,ACK acknowledges the receiver's SYN: both go SYN-RECEIVED → ESTABLISHED. Four " +
					"segments instead of three, and one connection, not two: a TCP connection is named by " +
					"its two sockets, whoever opened first.",
				"각 SYN,ACK가 받는 쪽의 SYN을 확인하므로 양쪽 모두 SYN-RECEIVED → ESTABLISHED가 됩니다. " +
					"세그먼트는 셋이 아니라 넷이고, 연결은 둘이 아니라 하나입니다. TCP 연결은 누가 먼저 " +
					"열었든 두 소켓으로 정해지기 때문입니다.",
			},
			ops: []op{advance(ms(10))},
		}},
	},
	{
		name:    "simultaneous-close",
		title:   [2]string{"Simultaneous close (RFC 9293 §3.6, Figure 13)", "동시 종료 (RFC 9293 §3.6, 그림 13)"},
		short:   [2]string{"both sides close at once: FIN-WAIT-1 → CLOSING → TIME-WAIT on each", "양쪽이 동시에 종료: 각자 FIN-WAIT-1 → CLOSING → TIME-WAIT"},
		columns: []string{"client", "server"},
		poke:    "endpoint get %s/server-1",
		steps: []step{stepHandshake, {
			title: [2]string{"Both sides close at once", "양쪽이 동시에 닫습니다"},
			say: [2]string{
				"The client and server-1 both call CLOSE before either FIN arrives: each sends a FIN and " +
					"enters FIN-WAIT-1.",
				"클라이언트와 server-1이 상대의 FIN이 도착하기 전에 둘 다 CLOSE를 호출합니다. 양쪽 모두 FIN을 " +
					"보내고 FIN-WAIT-1이 됩니다.",
			},
			ops: []op{closeEndpoint("client"), closeEndpoint("server-1")},
		}, {
			title: [2]string{"The FINs cross: CLOSING", "FIN이 엇갈려 도착: CLOSING"},
			say: [2]string{
				"Each side receives the peer's FIN while its own is not yet acknowledged: FIN-WAIT-1 → " +
					"CLOSING, and it acknowledges the peer's FIN. CLOSING is the state the seed's notes " +
					"leave out: it exists only for this case.",
				"양쪽 모두 자기 FIN이 아직 확인되지 않은 상태에서 상대의 FIN을 받습니다. FIN-WAIT-1 → " +
					"CLOSING이 되고 상대의 FIN을 확인합니다. CLOSING은 시드 노트에 빠진 상태로, 바로 이 " +
					"경우에만 쓰입니다.",
			},
			ops: []op{advance(ms(10))},
		}, {
			title: [2]string{"The ACKs cross: TIME-WAIT on both sides", "ACK가 엇갈려 도착: 양쪽 모두 TIME-WAIT"},
			say: [2]string{
				"Each ACK covers the receiver's FIN: CLOSING → TIME-WAIT. Both sides closed first, so " +
					"both wait.",
				"각 ACK가 받는 쪽의 FIN을 확인하므로 CLOSING → TIME-WAIT가 됩니다. 둘 다 먼저 닫았으니 " +
					"둘 다 기다립니다.",
			},
			ops: []op{advance(ms(10))},
		}, {
			title: [2]string{"Both TIME-WAITs end", "양쪽 TIME-WAIT가 끝납니다"},
			say: [2]string{
				"2×MSL = 240 s later both timers fire: CLOSED on both sides.",
				"2×MSL = 240초 뒤 두 타이머가 만료되어 양쪽 모두 CLOSED가 됩니다.",
			},
			ops: []op{advance(241 * time.Second)},
		}},
	},
	{
		name:    "refused",
		title:   [2]string{"A refused connection (RFC 9293 §3.10.7.1)", "거부된 연결 (RFC 9293 §3.10.7.1)"},
		short:   [2]string{"a SYN to a port no one listens on: RST,ACK, \"connection reset\", CLOSED", "아무도 대기하지 않는 포트로 SYN: RST,ACK, \"connection reset\", CLOSED"},
		columns: []string{"client", "server"},
		poke:    "endpoint get %s/client",
		steps: []step{{
			title: [2]string{"A host with nobody on port 81", "81번 포트에는 아무도 없는 호스트"},
			say: [2]string{
				"The server host 10.0.0.2 listens on port 80 only. The client opens a connection to port " +
					"81: SYN, SYN-SENT.",
				"서버 호스트 10.0.0.2는 80번 포트에서만 대기합니다. 클라이언트가 81번 포트로 연결을 열어 " +
					"SYN을 보내고 SYN-SENT가 됩니다.",
			},
			ops: []op{create("server", serverAddr), create("client", clientAddr), listen("server"), connect("client", "10.0.0.2:81")},
		}, {
			title: [2]string{"The closed port answers RST", "닫힌 포트가 RST로 답합니다"},
			say: [2]string{
				"No connection exists for 10.0.0.2:81, so the host answers as RFC 9293 says for the CLOSED " +
					"state: a segment without ACK gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. The ACK " +
					"(the SYN's SEQ plus one) proves the RST answers this very SYN.",
				"10.0.0.2:81에는 연결이 없으므로 호스트는 RFC 9293의 CLOSED 상태 규칙대로 답합니다. ACK가 " +
					"없는 세그먼트에는 <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>를 보냅니다. ACK 값(SYN의 " +
					"SEQ+1)이 이 RST가 바로 그 SYN에 대한 답임을 증명합니다.",
			},
			ops: []op{advance(ms(10))},
		}, {
			title: [2]string{"The client gives up: connection reset", "클라이언트가 포기합니다: connection reset"},
			say: [2]string{
				"In SYN-SENT a RST is accepted when its ACK acknowledges our SYN: the client tells its " +
					"application \"connection reset\" (the sockets API calls it ECONNREFUSED) and goes back to " +
					"CLOSED. No retransmission: an answer came, and it was no.",
				"SYN-SENT에서는 RST의 ACK가 내 SYN을 확인할 때 그 RST를 받아들입니다. 클라이언트는 " +
					"애플리케이션에 \"connection reset\"(소켓 API의 ECONNREFUSED)을 알리고 CLOSED로 " +
					"돌아갑니다. 재전송은 없습니다. 답이 왔고, 그 답이 거절이었으니까요.",
			},
			ops: []op{advance(ms(10))},
		}},
	},
	{
		name:    "half-close",
		title:   [2]string{"A half-close (RFC 9293 §3.6)", "반쪽 닫기 (RFC 9293 §3.6)"},
		short:   [2]string{"the client closes its half; the server still sends, the client still receives", "클라이언트가 한쪽만 닫음: 서버는 계속 보내고 클라이언트는 계속 받음"},
		columns: []string{"client", "server"},
		poke:    "endpoint get %s/client",
		steps: []step{stepHandshake, {
			title: [2]string{"The client closes its half", "클라이언트가 자기 쪽만 닫습니다"},
			say: [2]string{
				"The client calls CLOSE: \"I have no more data to send\" — not \"I will not receive\". FIN; " +
					"server-1 acknowledges it and enters CLOSE-WAIT; the client reaches FIN-WAIT-2.",
				"클라이언트가 CLOSE를 호출합니다. \"더 보낼 데이터가 없다\"는 뜻이지 \"더 받지 않겠다\"는 " +
					"뜻이 아닙니다. FIN을 보내면 server-1이 확인하고 CLOSE-WAIT가 되며, 클라이언트는 " +
					"FIN-WAIT-2가 됩니다.",
			},
			ops: []op{closeEndpoint("client"), advance(ms(20))},
		}, {
			title: [2]string{"The server still sends", "서버는 계속 보냅니다"},
			say: [2]string{
				"In CLOSE-WAIT server-1 may still send: \"bye, and thanks\" travels to the client, which " +
					"in FIN-WAIT-2 still accepts data and acknowledges it (ack advances by the 15 octets).",
				"CLOSE-WAIT의 server-1은 여전히 보낼 수 있습니다. \"bye, and thanks\"가 클라이언트로 가고, " +
					"FIN-WAIT-2의 클라이언트는 데이터를 받아 확인합니다(ack가 15옥텟만큼 늘어납니다).",
			},
			ops: []op{send("server-1", "bye, and thanks"), advance(ms(20))},
		}, {
			title: [2]string{"The client reads it", "클라이언트가 읽습니다"},
			say: [2]string{
				"The client's application receives the 15 octets: half-closed, the connection still " +
					"carries data the other way.",
				"클라이언트 애플리케이션이 15옥텟을 읽습니다. 반쯤 닫혀도 연결은 반대 방향으로 데이터를 " +
					"나릅니다.",
			},
			ops: []op{receive("client")},
		}, {
			title: [2]string{"The server closes too", "서버도 닫습니다"},
			say: [2]string{
				"server-1 closes: FIN, LAST-ACK; the client acknowledges it and enters TIME-WAIT; " +
					"server-1 is CLOSED.",
				"server-1이 닫아 FIN을 보내고 LAST-ACK가 됩니다. 클라이언트가 확인하고 TIME-WAIT가 되며 " +
					"server-1은 CLOSED가 됩니다.",
			},
			ops: []op{closeEndpoint("server-1"), advance(ms(20))},
		}},
	},
}
