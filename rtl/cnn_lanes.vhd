-- cnn_lanes: a wide link narrowed. Each input beat carries IN_LANES values
-- (value k in bits 8k+7..8k); it leaves as IN_LANES / OUT_LANES beats of
-- OUT_LANES values, its lowest values first, so the stream's value order
-- (HWC, channel innermost) is unchanged. IN_LANES must be a multiple of
-- OUT_LANES (> OUT_LANES: equal lanes need no converter). The generator puts
-- one where a tensor travels wider than its reader takes it (a pool's wide
-- output before a dense layer, a fork, a conv whose PAR does not take all
-- the lanes).
--
-- Structure: one register of IN_LANES bytes and a piece counter; out_data is
-- the register's piece (a multiplexer on the counter). in_ready is high when
-- the register is empty or its last piece leaves this cycle (out_ready), so
-- the output runs at one beat a cycle with no bubble between input beats.
-- Cycle model: cycles per image = the output beats (values / OUT_LANES), one
-- a cycle; the input then accepts one beat every IN_LANES / OUT_LANES cycles.
-- Latency: 1 cycle (an input beat accepted on cycle t is the output on t + 1).
-- Backpressure: out_ready low holds the piece; in_ready stays low until the
-- last piece leaves. Nothing is lost or duplicated.
-- Resources: 8 * IN_LANES + log2(IN_LANES / OUT_LANES) + 1 flip-flops, an
-- IN_LANES / OUT_LANES to 1 multiplexer of 8 * OUT_LANES bits.
library ieee;
use ieee.std_logic_1164.all;

entity cnn_lanes is
  generic (
    IN_LANES  : positive := 2;
    OUT_LANES : positive := 1
  );
  port (
    clk       : in  std_logic;
    rst       : in  std_logic;
    in_valid  : in  std_logic;
    in_ready  : out std_logic;
    in_data   : in  std_logic_vector(8 * IN_LANES - 1 downto 0);
    out_valid : out std_logic;
    out_ready : in  std_logic;
    out_data  : out std_logic_vector(8 * OUT_LANES - 1 downto 0)
  );
end entity;

architecture rtl of cnn_lanes is
  constant PIECES : positive := IN_LANES / OUT_LANES;
  constant PW     : positive := 8 * OUT_LANES;
  signal hold    : std_logic_vector(8 * IN_LANES - 1 downto 0) := (others => '0');
  signal piece  : natural range 0 to PIECES - 1 := 0;
  signal full   : std_logic := '0';
  signal last_out, in_ready_i : std_logic;
begin
  assert IN_LANES mod OUT_LANES = 0 and IN_LANES > OUT_LANES
    report "cnn_lanes: IN_LANES must be a multiple of OUT_LANES, and larger" severity failure;

  last_out   <= '1' when full = '1' and out_ready = '1' and piece = PIECES - 1 else '0';
  in_ready_i <= not full or last_out;
  in_ready   <= in_ready_i;
  out_valid  <= full;

  process (all)
    variable d : std_logic_vector(PW - 1 downto 0);
  begin
    d := hold(PW - 1 downto 0);
    for p in 1 to PIECES - 1 loop
      if p = piece then
        d := hold(PW * p + PW - 1 downto PW * p);
      end if;
    end loop;
    out_data <= d;
  end process;

  process (clk)
  begin
    if rising_edge(clk) then
      if in_valid = '1' and in_ready_i = '1' then
        hold   <= in_data;
        piece <= 0;
        full  <= '1';
      elsif full = '1' and out_ready = '1' then
        if piece = PIECES - 1 then
          full <= '0';
        else
          piece <= piece + 1;
        end if;
      end if;
      if rst = '1' then
        full  <= '0';
        piece <= 0;
      end if;
    end if;
  end process;
end architecture;
