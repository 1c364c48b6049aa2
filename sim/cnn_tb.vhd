-- cnn_tb: the generated top (cnn_top) simulated as VHDL in GHDL, driven
-- exactly as the Verilator harness (sim/harness.hpp) drives GHDL's Verilog
-- translation of it, so that the two runs can be compared beat for beat and
-- cycle for cycle (sim/ghdl_main.cpp writes the stimulus, runs this bench and
-- scores what it writes with the same scoreboard and report).
--
-- Reads, in DIR:
--   config.txt  one line: input beats, output beats, watchdog cycles, timeline
--               bucket cycles, source stalls (0/1), sink stalls (0/1)
--   in.txt      one input beat a line: "data last" (data 0..255)
--   src.txt     the source's stall decisions, '1' = stall, consumed as
--               StreamSource::drive consumes Stall::next (only when no beat is
--               held and beats remain); many decisions a line
--   sink.txt    the sink's stall decisions, one a cycle (StreamSink::drive)
-- Writes DIR/events.txt, one event a line, in the harness' order within a cycle:
--   I cyc last            a beat accepted on s_axis
--   O cyc data last       a beat delivered on m_axis (data as int8)
--   L cyc link data...    a transfer on internal link `link` (probe_*): its
--                         value, or a wide link's values (lane 0 first)
--   X cyc                 tlast_error high (a misplaced s_axis tlast)
--   C cyc text            an AXI rule broken on m_axis
--   T bucket b s k ...    per link, busy / starved / blocked cycles in the bucket
--   W cyc s|m remaining   the watchdog expired (s: s_axis stuck with tready low)
--   D cyc                 an extra m_axis beat in the 64-cycle drain
--   E cycles              the end: cycles of the run (before the drain)
--   S link busy starved blocked   per link, over the run
-- Cycle numbering and reset as in the harness: rst high for two rising edges,
-- cycle 0 is the first edge after it; every decision is taken after an edge
-- for the next one, every sample is the value just before an edge.
library ieee;
use ieee.std_logic_1164.all;
use ieee.numeric_std.all;
use std.textio.all;

entity cnn_tb is
  generic (
    NLINKS : positive;
    -- Bytes of probe_data, and per link the values a beat: character i is
    -- character'val(48 + lanes of link i) ("1111" when no link is wide).
    NBYTES : positive;
    LANES  : string;
    DIR    : string
  );
end entity;

architecture sim of cnn_tb is
  signal clk     : std_logic := '0';
  signal rst     : std_logic := '1';
  signal running : boolean   := true;
  signal s_tdata : std_logic_vector(7 downto 0) := (others => '0');
  signal s_tvalid, s_tlast : std_logic := '0';
  signal s_tready : std_logic;
  signal m_tdata  : std_logic_vector(7 downto 0);
  signal m_tvalid, m_tlast : std_logic;
  signal m_tready : std_logic := '0';
  signal tlast_error : std_logic;
  signal probe_valid, probe_ready : std_logic_vector(NLINKS - 1 downto 0);
  signal probe_data : std_logic_vector(8 * NBYTES - 1 downto 0);
begin
  dut : entity work.cnn_top
    port map (clk => clk, rst => rst,
      s_axis_tdata => s_tdata, s_axis_tvalid => s_tvalid, s_axis_tlast => s_tlast, s_axis_tready => s_tready,
      m_axis_tdata => m_tdata, m_axis_tvalid => m_tvalid, m_axis_tlast => m_tlast, m_axis_tready => m_tready,
      tlast_error => tlast_error, probe_valid => probe_valid, probe_ready => probe_ready, probe_data => probe_data);

  clk <= not clk after 5 ns when running;

  bench : process
    file cfg_f, in_f, src_f, sink_f, ev_f : text;
    variable l, ev, src_l, sink_l : line;
    variable n_in, n_out, watchdog, bucket, src_stall, sink_stall : integer;
    variable cyc, last_progress : natural := 0;
    variable sent, got : natural := 0;
    variable holding : boolean := false;
    variable beat_data, beat_last : integer := 0;
    variable ready : std_logic := '0';
    variable pend : boolean := false;   -- m_axis: valid && !ready last cycle
    variable pend_data : std_logic_vector(7 downto 0);
    variable pend_last : std_logic;
    variable violations : natural := 0;
    type counts_t is array (0 to NLINKS - 1, 0 to 2) of natural;
    variable total, part : counts_t := (others => (others => 0));
    variable k, v, r : integer;
    variable off, nl : natural := 0;   -- a link's first byte in probe_data, its lanes
    variable stalled : boolean;

    function bit01(s : std_logic) return integer is
    begin
      if s = '1' then return 1; else return 0; end if;
    end function;

    -- The next stall decision from a schedule file, many '0'/'1' a line.
    procedure next_decision(file f : text; variable buf : inout line; name : string; variable stall : out boolean) is
      variable ch : character;
    begin
      while buf = null or buf'length = 0 loop
        assert not endfile(f) report "cnn_tb: the " & name & " stall schedule ran out" severity failure;
        readline(f, buf);
      end loop;
      read(buf, ch);
      stall := ch = '1';
    end procedure;

    procedure emit is
    begin
      writeline(ev_f, ev);
    end procedure;

    procedure violation(what : string) is
    begin
      if violations < 10 then
        write(ev, string'("C ") & integer'image(cyc) & " [m_axis] cycle " & integer'image(cyc) & ": " & what);
        emit;
      end if;
      violations := violations + 1;
    end procedure;

    -- The inputs of the next cycle: a held beat stays; otherwise a new beat
    -- when one remains and the source's schedule does not stall.
    procedure drive_source is
    begin
      if not holding and sent < n_in then
        stalled := false;
        if src_stall /= 0 then next_decision(src_f, src_l, "source", stalled); end if;
        if not stalled then
          readline(in_f, l);
          read(l, beat_data);
          read(l, beat_last);
          holding := true;
        end if;
      end if;
      if holding then
        s_tvalid <= '1';
        s_tdata <= std_logic_vector(to_unsigned(beat_data, 8));
        s_tlast <= '1' when beat_last /= 0 else '0';
      else
        s_tvalid <= '0';
      end if;
    end procedure;

    procedure drive_sink is
    begin
      ready := '1';
      if sink_stall /= 0 then
        next_decision(sink_f, sink_l, "sink", stalled);
        if stalled then ready := '0'; end if;
      end if;
      m_tready <= ready;
    end procedure;

    procedure write_bucket(index : natural) is
    begin
      write(ev, string'("T ") & integer'image(index));
      for i in 0 to NLINKS - 1 loop
        for j in 0 to 2 loop
          write(ev, string'(" ") & integer'image(part(i, j)));
          part(i, j) := 0;
        end loop;
      end loop;
      emit;
    end procedure;
  begin
    file_open(cfg_f, DIR & "/config.txt", read_mode);
    readline(cfg_f, l);
    read(l, n_in); read(l, n_out); read(l, watchdog); read(l, bucket); read(l, src_stall); read(l, sink_stall);
    file_close(cfg_f);
    file_open(in_f, DIR & "/in.txt", read_mode);
    if src_stall /= 0 then file_open(src_f, DIR & "/src.txt", read_mode); end if;
    if sink_stall /= 0 then file_open(sink_f, DIR & "/sink.txt", read_mode); end if;
    file_open(ev_f, DIR & "/events.txt", write_mode);

    wait until rising_edge(clk);
    wait until rising_edge(clk);
    rst <= '0';
    drive_source;
    drive_sink;
    while got < n_out loop
      wait until rising_edge(clk);
      -- m_axis protocol (the harness' StreamChecker)
      if pend then
        if m_tvalid /= '1' then
          violation("valid dropped without a transfer");
        else
          if m_tdata /= pend_data then violation("data changed while valid && !ready"); end if;
          if m_tlast /= pend_last then violation("last changed while valid && !ready"); end if;
        end if;
      end if;
      pend := m_tvalid = '1' and ready = '0';
      pend_data := m_tdata;
      pend_last := m_tlast;
      if holding and s_tready = '1' then
        write(ev, string'("I ") & integer'image(cyc) & " " & integer'image(beat_last));
        emit;
        holding := false;
        sent := sent + 1;
        last_progress := cyc;
      end if;
      if m_tvalid = '1' and ready = '1' then
        write(ev, string'("O ") & integer'image(cyc) & " " & integer'image(to_integer(signed(m_tdata))) & " " &
                  integer'image(bit01(m_tlast)));
        emit;
        got := got + 1;
        last_progress := cyc;
      end if;
      off := 0;
      for i in 0 to NLINKS - 1 loop
        v := bit01(probe_valid(i));
        r := bit01(probe_ready(i));
        nl := character'pos(LANES(LANES'low + i)) - 48;
        if v = 1 and r = 1 then
          write(ev, string'("L ") & integer'image(cyc) & " " & integer'image(i));
          for j in off to off + nl - 1 loop
            write(ev, " " & integer'image(to_integer(signed(probe_data(8 * j + 7 downto 8 * j)))));
          end loop;
          emit;
          k := 0;
        elsif v = 1 then
          k := 2;
        else
          k := 1;
        end if;
        total(i, k) := total(i, k) + 1;
        part(i, k) := part(i, k) + 1;
        off := off + nl;
      end loop;
      if tlast_error = '1' then
        write(ev, string'("X ") & integer'image(cyc));
        emit;
      end if;
      if (cyc + 1) mod bucket = 0 then write_bucket(cyc / bucket); end if;
      if cyc - last_progress > watchdog then
        if sent < n_in and s_tready = '0' then
          write(ev, string'("W ") & integer'image(cyc) & " s " & integer'image(n_in - sent));
        else
          write(ev, string'("W ") & integer'image(cyc) & " m 0");
        end if;
        emit;
        cyc := cyc + 1;
        exit;
      end if;
      cyc := cyc + 1;
      if got < n_out then
        drive_source;
        drive_sink;
      end if;
    end loop;
    if got = n_out then
      if cyc mod bucket /= 0 then write_bucket(cyc / bucket); end if;
      write(ev, string'("E ") & integer'image(cyc));
      emit;
      -- The drain: nothing more may come out.
      for i in 1 to 64 loop
        drive_sink;
        wait until rising_edge(clk);
        if m_tvalid = '1' and ready = '1' then
          write(ev, string'("D ") & integer'image(cyc));
          emit;
        end if;
        cyc := cyc + 1;
      end loop;
    else
      write(ev, string'("E ") & integer'image(cyc));
      emit;
    end if;
    for i in 0 to NLINKS - 1 loop
      write(ev, string'("S ") & integer'image(i) & " " & integer'image(total(i, 0)) & " " &
                integer'image(total(i, 1)) & " " & integer'image(total(i, 2)));
      emit;
    end loop;
    file_close(ev_f);
    running <= false;
    wait;
  end process;
end architecture;
