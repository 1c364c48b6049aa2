-- cnn_fifo: an elastic buffer of DEPTH beats between two PEs. It decouples a
-- producer that emits in bursts from a consumer that accepts in bursts (e.g.
-- a conv that takes a row only when a line-buffer slot frees up), so that the
-- slower of the two, not their coupling, sets the pipeline's interval; the
-- skip path of a residual block holds thousands of beats in one.
--
-- Latency: 1 cycle (a beat written on an edge is offered from the next), in
-- both structures below: their ports behave identically, cycle for cycle.
-- Throughput: 1 beat per cycle in and out at once, also when full.
-- Backpressure: in_ready is low only while DEPTH beats are stored (it is
-- `stored < DEPTH or out_ready`: a full FIFO takes a beat while one leaves);
-- out_valid is high whenever a beat is stored, and out_valid/out_data stay
-- stable until accepted. Nothing is lost or reordered.
-- Cycle model: cycles per image = its beats per image (1 per cycle).
--
-- Structure, chosen by DEPTH * WIDTH:
-- * below RAM_MIN_BITS (or DEPTH < 3): an array read combinationally at the
--   read pointer (LUT-RAM on Xilinx, flip-flops on iCE40);
-- * from RAM_MIN_BITS on: a RAM of DEPTH - 1 words with one write port and
--   one registered read port (q <= mem(rd_ptr) on a clock edge, enabled), the
--   pattern Yosys maps to RAMB18/RAMB36 (synth_xilinx) or SB_RAM40_4K
--   (synth_ice40), followed by a two-beat output stage (first-word fall-
--   through). A beat goes straight into the output stage while the RAM is
--   empty and the stage has room (hence the 1-cycle latency), otherwise into
--   the RAM; a RAM read is issued whenever the stage will have room for its
--   word on the next edge. The stage then always holds 2 beats (or 1 beat
--   plus the word being read) while the RAM holds any, so it never runs dry
--   while beats are stored: at most DEPTH - 2 beats are in the RAM. One word
--   more than that keeps the read and write addresses apart on every edge
--   (no read-during-write collision, whatever the RAM's collision mode).
library ieee;
use ieee.std_logic_1164.all;

entity cnn_fifo is
  generic (
    WIDTH        : positive := 8;
    DEPTH        : positive := 16;
    -- DEPTH * WIDTH from which the beats live in a block-RAM-style memory.
    RAM_MIN_BITS : natural  := 8192   -- a RAMB18 is 18 Kbit: smaller buffers stay LUT-RAM
  );
  port (
    clk       : in  std_logic;
    rst       : in  std_logic;
    in_valid  : in  std_logic;
    in_ready  : out std_logic;
    in_data   : in  std_logic_vector(WIDTH - 1 downto 0);
    out_valid : out std_logic;
    out_ready : in  std_logic;
    out_data  : out std_logic_vector(WIDTH - 1 downto 0)
  );
end entity;

architecture rtl of cnn_fifo is
  constant USE_RAM : boolean := DEPTH >= 3 and DEPTH * WIDTH >= RAM_MIN_BITS;
begin
  -- ------------------------------------------------------------ small: an array
  g_small : if not USE_RAM generate
    type mem_t is array (0 to DEPTH - 1) of std_logic_vector(WIDTH - 1 downto 0);
    signal mem    : mem_t := (others => (others => '0'));
    signal wr_ptr : natural range 0 to DEPTH - 1 := 0;
    signal rd_ptr : natural range 0 to DEPTH - 1 := 0;
    signal count  : natural range 0 to DEPTH := 0;
    signal full, empty : std_logic;
  begin
    full      <= '1' when count = DEPTH else '0';
    empty     <= '1' when count = 0 else '0';
    in_ready  <= not full or out_ready;
    out_valid <= not empty;
    out_data  <= mem(rd_ptr);

    process (clk)
      variable push, pop : boolean;
    begin
      if rising_edge(clk) then
        pop  := empty = '0' and out_ready = '1';
        push := in_valid = '1' and (full = '0' or out_ready = '1');
        if push then
          mem(wr_ptr) <= in_data;
          if wr_ptr = DEPTH - 1 then
            wr_ptr <= 0;
          else
            wr_ptr <= wr_ptr + 1;
          end if;
        end if;
        if pop then
          if rd_ptr = DEPTH - 1 then
            rd_ptr <= 0;
          else
            rd_ptr <= rd_ptr + 1;
          end if;
        end if;
        if push and not pop then
          count <= count + 1;
        elsif pop and not push then
          count <= count - 1;
        end if;
        if rst = '1' then
          wr_ptr <= 0;
          rd_ptr <= 0;
          count  <= 0;
        end if;
      end if;
    end process;
  end generate;

  -- ------------------------------------- large: RAM with a registered read + stage
  g_ram : if USE_RAM generate
    constant WORDS : positive := DEPTH - 1;
    type ram_t is array (0 to WORDS - 1) of std_logic_vector(WIDTH - 1 downto 0);
    signal ram       : ram_t;  -- no initial value: a word is read only after it was written
    signal ram_q     : std_logic_vector(WIDTH - 1 downto 0);  -- the read register
    signal wr_ptr    : natural range 0 to WORDS - 1 := 0;
    signal rd_ptr    : natural range 0 to WORDS - 1 := 0;
    signal ram_count : natural range 0 to WORDS := 0;  -- words in the RAM
    signal q_valid   : std_logic := '0';  -- ram_q holds the word read on the last edge
    -- The output stage: stage0 is offered, stage1 waits behind it.
    signal stage0, stage1 : std_logic_vector(WIDTH - 1 downto 0) := (others => '0');
    signal stage_n   : natural range 0 to 2 := 0;
    signal count     : natural range 0 to DEPTH := 0;  -- every beat stored
    signal ready_i   : std_logic;
    signal push, pop, bypass, ram_we, ram_re : std_logic;
    signal stage_room : boolean;  -- the stage has room for one more beat on this edge
  begin
    ready_i   <= '1' when count /= DEPTH or out_ready = '1' else '0';
    in_ready  <= ready_i;
    out_valid <= '1' when stage_n /= 0 else '0';
    out_data  <= stage0;

    push <= in_valid and ready_i;
    pop  <= out_ready when stage_n /= 0 else '0';
    -- After this edge's pop and the arrival of ram_q, at most 1 beat is left.
    stage_room <= stage_n = 0
                  or (stage_n = 1 and not (q_valid = '1' and pop = '0'))
                  or (stage_n = 2 and q_valid = '0' and pop = '1');
    -- Straight into the stage only when nothing older is in the RAM.
    bypass <= push when ram_count = 0 and stage_room else '0';
    ram_we <= push and not bypass;
    ram_re <= '1' when ram_count /= 0 and stage_room else '0';

    -- The RAM alone in its process: a write port and an enabled registered read.
    p_ram : process (clk)
    begin
      if rising_edge(clk) then
        if ram_we = '1' then
          ram(wr_ptr) <= in_data;
        end if;
        if ram_re = '1' then
          ram_q <= ram(rd_ptr);
        end if;
      end if;
    end process;

    p_ctrl : process (clk)
      variable n      : natural range 0 to 2;
      variable s0, s1 : std_logic_vector(WIDTH - 1 downto 0);
    begin
      if rising_edge(clk) then
        -- The stage, oldest first: what stays after the pop, then ram_q, then the bypass.
        n  := stage_n;
        s0 := stage0;
        s1 := stage1;
        if pop = '1' then
          s0 := stage1;
          n  := n - 1;
        end if;
        if q_valid = '1' then
          if n = 0 then
            s0 := ram_q;
          else
            s1 := ram_q;
          end if;
          n := n + 1;
        end if;
        if bypass = '1' then
          if n = 0 then
            s0 := in_data;
          else
            s1 := in_data;
          end if;
          n := n + 1;
        end if;
        stage0  <= s0;
        stage1  <= s1;
        stage_n <= n;
        q_valid <= ram_re;

        if ram_we = '1' then
          if wr_ptr = WORDS - 1 then
            wr_ptr <= 0;
          else
            wr_ptr <= wr_ptr + 1;
          end if;
        end if;
        if ram_re = '1' then
          if rd_ptr = WORDS - 1 then
            rd_ptr <= 0;
          else
            rd_ptr <= rd_ptr + 1;
          end if;
        end if;
        if ram_we = '1' and ram_re = '0' then
          ram_count <= ram_count + 1;
        elsif ram_we = '0' and ram_re = '1' then
          ram_count <= ram_count - 1;
        end if;
        if push = '1' and pop = '0' then
          count <= count + 1;
        elsif push = '0' and pop = '1' then
          count <= count - 1;
        end if;
        if rst = '1' then
          stage_n   <= 0;
          q_valid   <= '0';
          wr_ptr    <= 0;
          rd_ptr    <= 0;
          ram_count <= 0;
          count     <= 0;
        end if;
      end if;
    end process;
  end generate;
end architecture;
