module github.com/tcpemu/tcpemu

go 1.26
